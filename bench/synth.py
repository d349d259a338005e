#!/usr/bin/env python3
"""Synthetic agent libraries for the library-scale benchmark.

    python bench/synth.py OUTDIR --agents 1000 --seed 1 [--exact-rate 0.05] [--near-rate 0.10]

writes a directory tree shaped like a real collection of agent definitions (Claude Code agents in plugins
and `.claude/agents/`, skills, Cursor rules, Copilot instructions, CLAUDE.md / AGENTS.md), plus noise a
scanner must skip (README.md, CHANGELOG.md, `node_modules/`, `.git/`), and `OUTDIR/manifest.json` with the
ground truth: which files are agents, which are noise, and which agents were planted as exact or near
duplicates of each other.

How the text is built: every role (backend, frontend, database, ...) has a vocabulary (technologies,
topics with their objects, qualities, risks). Sentence templates filled from that vocabulary give each
(role, topic) a fixed pool of guidance lines; an agent samples a few lines from the pools of a few topics.
Two independent agents of the same role therefore share some lines but not most, as two independently
written "code-reviewer"s do. Planted near duplicates start from an agent and reword 10-25% of its units,
add and remove a few, and reorder or rename sections; planted exact copies keep the body and change only
the path, the name, the frontmatter and the whitespace.

Everything comes from `random.Random` seeded from the arguments, and every directory is walked in sorted
order, so the same arguments give the same bytes. Standard library only.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import random
import re
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["generate", "main"]

# --------------------------------------------------------------------------------------------------------
# Role vocabularies. One `@role` block per role:
#   titles / names / techs / qualities / risks / tasks / globs: `;`-separated lists
#   topic: Title | Alternative title | Alternative title = object; object; ...
#   row: left cell | right cell                     (rows for the optional quick-reference table)
#   code <lang>: ... endcode                        (@Name@, @name@, @names@ are replaced by an entity)
# --------------------------------------------------------------------------------------------------------

_ROLE_DATA = r'''
@role backend
titles: backend engineer; backend architect; API developer; server-side engineer
names: backend-engineer; backend-architect; api-developer; server-engineer; backend-specialist; api-builder
techs: FastAPI; Django; Express; Go; Spring Boot; gRPC; PostgreSQL; Redis; Celery; OpenAPI
qualities: latency; throughput; backward compatibility; readability; idempotency; testability
risks: N+1 queries; race conditions; unbounded payloads; breaking API changes; retry storms; leaked connections
tasks: designing REST or gRPC endpoints; structuring service layers; implementing background jobs; hardening error handling; reviewing API contracts; planning service boundaries
globs: **/*.py; **/*.go; src/api/**
topic: API Design | REST Conventions | Endpoint Design = endpoint; request schema; response envelope; pagination cursor; status code mapping; versioned route
topic: Error Handling | Failure Handling | Errors and Retries = exception hierarchy; error response; retry policy; circuit breaker; fallback path
topic: Data Access | Persistence Layer | Repository Pattern = repository; transaction boundary; query helper; connection pool; ORM model
topic: Authentication and Authorization | Access Control | Auth = auth middleware; access token; permission check; session store; API key
topic: Background Jobs | Async Processing | Task Queues = background task; job queue; scheduled job; dead-letter queue; worker process
topic: Service Boundaries | Architecture | Service Design = service interface; domain module; dependency graph; internal client; message contract
topic: Testing | Test Strategy | Verification = integration test; contract test; test fixture; mocked dependency; load test
topic: Observability | Logging and Metrics | Monitoring = structured log line; request trace; latency histogram; health check; alert rule
row: Slow list endpoint | Keyset pagination with a bounded page size
row: Duplicate POST requests | Idempotency keys stored with the response
row: Flaky downstream service | Timeout, bounded retries with jitter, then a circuit breaker
row: Long-running work in a request | Enqueue a background job and return 202
row: New optional field | Additive change, no version bump
row: Renamed field | New version or a deprecation window with both fields
code python:
@router.get("/@names@", response_model=Page[@Name@Out])
async def list_@names@(
    cursor: str | None = None,
    limit: int = Query(50, le=200),
    repo: @Name@Repository = Depends(get_@name@_repository),
) -> Page[@Name@Out]:
    items, next_cursor = await repo.list_page(cursor=cursor, limit=limit)
    return Page(items=items, next_cursor=next_cursor)
endcode
code go:
func (h *@Name@Handler) Get(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	item, err := h.store.Get@Name@(ctx, chi.URLParam(r, "id"))
	if errors.Is(err, ErrNotFound) {
		http.Error(w, "@name@ not found", http.StatusNotFound)
		return
	}
	if err != nil {
		h.log.Error("get @name@ failed", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	writeJSON(w, http.StatusOK, item)
}
endcode

@role frontend
titles: frontend engineer; React developer; UI engineer; frontend architect
names: frontend-developer; react-specialist; ui-engineer; frontend-architect; web-developer; component-builder
techs: React; TypeScript; Next.js; Vue; Tailwind CSS; Vite; Storybook; Playwright; Redux Toolkit; React Query
qualities: bundle size; render performance; accessibility; type safety; visual consistency; maintainability
risks: unnecessary re-renders; layout shift; hydration mismatches; stale client state; prop drilling; memory leaks
tasks: building React components; managing client state; optimizing bundle size; fixing rendering bugs; setting up design-system components; reviewing frontend pull requests
globs: **/*.tsx; **/*.ts; src/components/**
topic: Component Architecture | Components | Component Design = component; prop interface; compound component; render function; component folder
topic: State Management | Client State | Data Flow = store slice; derived selector; server cache entry; form state; context provider
topic: Styling | Design System | Theming = design token; utility class; theme variable; responsive breakpoint; CSS module
topic: Performance | Rendering Performance | Web Vitals = memoized value; lazy-loaded route; image asset; virtualized list; code-split chunk
topic: Data Fetching | API Integration | Server Communication = query hook; mutation handler; loading state; error boundary; optimistic update
topic: Testing | Component Testing | UI Tests = component test; end-to-end scenario; visual snapshot; mock service worker; test selector
topic: Type Safety | TypeScript Usage | Types = shared type definition; discriminated union; generic hook; API response type; strict null check
topic: Forms and Validation | Forms | User Input = form field; validation schema; submit handler; input mask; field error message
row: Expensive list render | Virtualize the list and memoize row components
row: Shared server data | A query cache instead of global state
row: One-off styling | Utility classes over new CSS files
row: Complex form | Schema-driven validation with a single submit handler
row: Large dependency | Dynamic import behind a route boundary
row: Prop passed through four levels | Context or composition, not more props
code tsx:
export function @Name@List({ filter }: { filter: @Name@Filter }) {
  const { data, isLoading, error } = useQuery({
    queryKey: ["@names@", filter],
    queryFn: () => fetch@Name@s(filter),
  });

  if (isLoading) return <Spinner label="Loading @names@" />;
  if (error) return <ErrorState error={error} />;
  return (
    <ul aria-label="@Name@ list">
      {data.items.map((item) => (
        <@Name@Row key={item.id} item={item} />
      ))}
    </ul>
  );
}
endcode

@role database
titles: database engineer; PostgreSQL specialist; data modeler; database architect
names: database-engineer; db-architect; postgres-expert; sql-optimizer; schema-designer; migration-specialist
techs: PostgreSQL; MySQL; SQLAlchemy; Alembic; Prisma; pg_stat_statements; EXPLAIN ANALYZE; PgBouncer; Flyway; SQLite
qualities: query latency; data integrity; write throughput; storage cost; migration safety; consistency
risks: full table scans; lock contention; long-running migrations; orphaned rows; deadlocks; index bloat
tasks: designing schemas; writing migrations; optimizing slow queries; adding indexes; reviewing data models; planning data backfills
globs: **/models/**; **/migrations/**; **/*.sql
topic: Schema Design | Data Modeling | Table Design = table; foreign key; check constraint; column type; junction table
topic: Migrations | Schema Changes | Migration Safety = migration script; downgrade path; backfill job; column rename; lock timeout
topic: Indexing | Index Strategy | Indexes = composite index; partial index; covering index; unique index; index-only scan
topic: Query Optimization | Query Performance | Slow Queries = query plan; join order; subquery; aggregate query; pagination query
topic: Transactions | Concurrency | Consistency = transaction; isolation level; row lock; advisory lock; optimistic version column
topic: ORM Usage | ORM Patterns | Models = ORM model; relationship loader; session scope; bulk insert; raw SQL fallback
topic: Operations | Maintenance | Database Operations = vacuum schedule; connection pool; replica lag; backup job; restore drill
topic: Data Quality | Integrity | Validation = nullable column; default value; enum type; seed dataset; data audit query
row: Filter on two columns | Composite index, most selective column first
row: Queries on a small subset | Partial index with the same predicate
row: Adding a NOT NULL column | Add nullable, backfill in batches, then add the constraint
row: Counting rows for a badge | Cached counter or an estimate, not COUNT(*)
row: Deep OFFSET pagination | Keyset pagination on an indexed sort key
row: Hot row updated concurrently | Optimistic version column or SELECT ... FOR UPDATE
code sql:
-- Keyset pagination over @names@, newest first
CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_@names@_created_id
    ON @names@ (created_at DESC, id DESC);

SELECT id, status, created_at
FROM @names@
WHERE (created_at, id) < (:last_created_at, :last_id)
ORDER BY created_at DESC, id DESC
LIMIT 50;
endcode
code python:
def upgrade() -> None:
    op.add_column("@names@", sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_@names@_archived_at", "@names@", ["archived_at"])


def downgrade() -> None:
    op.drop_index("ix_@names@_archived_at", table_name="@names@")
    op.drop_column("@names@", "archived_at")
endcode

@role devops
titles: DevOps engineer; platform engineer; CI/CD specialist; infrastructure engineer
names: devops-engineer; platform-engineer; cicd-specialist; infra-automation; deployment-engineer; pipeline-builder
techs: Terraform; Kubernetes; Docker; GitHub Actions; Helm; Ansible; Argo CD; AWS; GitLab CI; Pulumi
qualities: deployment speed; reproducibility; cost efficiency; reliability; auditability; least privilege
risks: configuration drift; leaked secrets; flaky pipelines; snowflake servers; unpinned images; untested rollbacks
tasks: writing CI/CD pipelines; containerizing services; managing Terraform modules; setting up Kubernetes deployments; reducing build times; automating releases
globs: .github/workflows/**; **/*.tf; **/Dockerfile
topic: CI/CD Pipelines | Continuous Integration | Pipelines = pipeline stage; build cache; test job; release workflow; pipeline secret
topic: Containers | Docker Images | Containerization = Dockerfile; base image; multi-stage build; image tag; container health check
topic: Infrastructure as Code | Terraform | IaC = Terraform module; state file; variable file; plan output; provider version
topic: Kubernetes | Orchestration | Cluster Workloads = deployment manifest; resource limit; readiness probe; Helm chart; namespace
topic: Release Management | Deployments | Rollouts = canary release; rollback step; feature flag; release tag; deployment window
topic: Secrets and Configuration | Configuration | Config Management = secret reference; environment variable; config map; vault policy; service account
topic: Cost and Capacity | Capacity Planning | Cost Control = autoscaling rule; instance size; spot node pool; storage class; budget alert
topic: Environment Parity | Environments | Staging and Production = staging environment; preview deployment; seed script; environment template; smoke test
row: Slow CI builds | Layer caching and dependency caches keyed on lock files
row: Secrets in pipelines | OIDC federation instead of long-lived keys
row: Risky release | Canary with automatic rollback on error rate
row: Manual server changes | Codify in Terraform and reapply
row: Image drift | Pin base images by digest and rebuild weekly
code yaml:
name: ci
on:
  pull_request:
  push:
    branches: [main]
jobs:
  test:
    runs-on: ubuntu-latest
    timeout-minutes: 15
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
          cache: pip
      - run: pip install -r requirements.txt
      - run: pytest -q
endcode
code dockerfile:
FROM python:3.12-slim AS build
WORKDIR /app
COPY requirements.txt .
RUN pip wheel --no-cache-dir --wheel-dir /wheels -r requirements.txt

FROM python:3.12-slim
RUN useradd --create-home @name@svc
WORKDIR /app
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/* && rm -rf /wheels
COPY . .
USER @name@svc
CMD ["gunicorn", "app.main:app", "--workers", "2"]
endcode

@role security
titles: security engineer; application security specialist; security auditor; penetration tester
names: security-auditor; appsec-engineer; security-reviewer; vulnerability-scanner; threat-modeler; secure-code-reviewer
techs: OWASP ZAP; Semgrep; Trivy; Snyk; Burp Suite; CodeQL; Vault; OAuth 2.0; OpenID Connect; gitleaks
qualities: least privilege; defense in depth; auditability; confidentiality; integrity; secure defaults
risks: SQL injection; cross-site scripting; broken access control; secret exposure; server-side request forgery; insecure deserialization
tasks: auditing code for vulnerabilities; threat modeling new features; reviewing authentication flows; hardening configurations; triaging dependency alerts; handling security incidents
globs: **/*; **/auth/**; **/security/**
topic: Threat Modeling | Risk Assessment | Threats = trust boundary; attack surface; data flow diagram; abuse case; threat register
topic: Input Validation | Injection Prevention | Untrusted Input = input parser; query parameter; file upload; template renderer; deserializer
topic: Authentication | Identity | Login Security = login flow; password hash; session cookie; MFA challenge; token refresh
topic: Authorization | Access Control | Permissions = role check; object ownership check; admin endpoint; policy rule; scope claim
topic: Secrets Management | Secrets | Credentials = API secret; signing key; environment file; key rotation schedule; vault path
topic: Dependency Security | Supply Chain | Third-Party Code = dependency manifest; lock file; vulnerability advisory; container image; build provenance record
topic: Logging and Incident Response | Incident Response | Detection = audit log; security alert; incident timeline; forensic snapshot; response playbook
topic: Secure Configuration | Hardening | Security Headers = security header; CORS policy; TLS setting; cookie flag; rate limit rule
row: User-supplied SQL filter | Parameterized queries and an allow-list of columns
row: Rendering user HTML | Sanitize server-side and set a strict CSP
row: Fetching user-provided URLs | Egress allow-list and block internal ranges
row: Leaked credential | Revoke, rotate, then audit usage
row: Critical CVE in a dependency | Patch or mitigate within the SLA and record the decision
code python:
def get_@name@(request, @name@_id: int):
    @name@ = @Name@.objects.filter(id=@name@_id).first()
    if @name@ is None:
        raise Http404()
    # Object-level authorization: never trust the id alone.
    if @name@.owner_id != request.user.id and not request.user.has_perm("@names@.view_any"):
        audit_log.warning("forbidden @name@ access", extra={"user": request.user.id, "@name@": @name@_id})
        raise PermissionDenied()
    return render(request, "@names@/detail.html", {"@name@": @name@})
endcode

@role data
titles: data engineer; analytics engineer; ETL developer; data pipeline architect
names: data-engineer; analytics-engineer; etl-specialist; pipeline-architect; dbt-developer; data-platform-engineer
techs: Apache Spark; Airflow; dbt; Kafka; Snowflake; BigQuery; Parquet; pandas; Dagster; Delta Lake
qualities: data freshness; correctness; pipeline cost; lineage; reproducibility; schema stability
risks: silent data loss; duplicate records; schema drift; late-arriving data; skewed partitions; backfill collisions
tasks: building ETL pipelines; modeling warehouse tables; scheduling DAGs; debugging data quality issues; designing streaming jobs; optimizing Spark jobs
globs: dags/**; models/**/*.sql; **/*.py
topic: Pipeline Design | ETL Architecture | Pipelines = DAG; extraction step; load job; incremental model; pipeline dependency
topic: Data Modeling | Warehouse Modeling | Dimensional Models = fact table; dimension table; surrogate key; slowly changing dimension; staging model
topic: Data Quality | Validation | Data Tests = data test; null check; uniqueness test; freshness check; reconciliation query
topic: Streaming | Event Processing | Real-Time Data = stream consumer; event schema; watermark; consumer group; dead-letter topic
topic: Performance | Cost Optimization | Job Tuning = partition key; shuffle stage; file size target; clustering key; materialization strategy
topic: Orchestration | Scheduling | Workflows = schedule interval; task retry; sensor; backfill run; SLA alert
topic: Schema Management | Contracts | Schema Evolution = data contract; schema registry entry; column addition; breaking schema change; versioned dataset
topic: Lineage and Documentation | Documentation | Metadata = lineage graph; model description; column description; ownership tag; data catalog entry
row: Late-arriving events | Watermarks plus a bounded reprocessing window
row: Large daily full refresh | Incremental model with a merge key
row: Many small files | Compaction job with a target file size
row: Skewed join key | Salt the key or broadcast the small side
row: Upstream schema change | Data contract check that fails the run early
code sql:
{{ config(materialized="incremental", unique_key="@name@_id") }}

select
    @name@_id,
    customer_id,
    status,
    updated_at
from {{ source("app", "@names@") }}
{% if is_incremental() %}
where updated_at > (select max(updated_at) from {{ this }})
{% endif %}
endcode

@role writing
titles: technical writer; documentation engineer; API documentation specialist; developer advocate
names: technical-writer; docs-writer; api-documenter; docs-architect; changelog-writer; tutorial-author
techs: Markdown; MkDocs; Docusaurus; Sphinx; OpenAPI; Vale; Mermaid; reStructuredText; Storybook Docs; markdownlint
qualities: clarity; accuracy; consistency; scannability; completeness; approachability
risks: outdated examples; undefined jargon; broken links; walls of text; missing prerequisites; ambiguous instructions
tasks: writing API reference docs; drafting tutorials; editing READMEs; producing release notes; restructuring documentation sites; reviewing docs for clarity
globs: docs/**; **/*.md; **/*.mdx
topic: Structure | Information Architecture | Document Structure = page outline; landing page; navigation entry; section heading; content type
topic: Style and Voice | Writing Style | Tone = sentence; paragraph; voice guideline; terminology list; admonition
topic: Code Examples | Examples | Samples = code sample; command snippet; expected output block; runnable example; configuration excerpt
topic: API Reference | Reference Docs | Endpoint Documentation = endpoint reference; parameter table; error code list; authentication section; request example
topic: Tutorials | How-To Guides | Walkthroughs = tutorial; prerequisite list; step sequence; troubleshooting note; next-steps section
topic: Release Notes | Changelogs | Release Communication = release note; breaking change notice; migration guide; deprecation notice; version table
topic: Review and Maintenance | Docs Maintenance | Quality Control = docs review; link check; style lint rule; ownership note; stale page
topic: Diagrams and Visuals | Visuals | Diagrams = architecture diagram; sequence diagram; screenshot; alt text; caption
row: New feature | Tutorial first, reference second
row: Breaking change | Release note plus a migration guide with before and after
row: Long conceptual page | Split by reader task and add a summary
row: Screenshot of a UI | Alt text and a date, replace on redesign
row: Repeated warning | One admonition, linked from the other pages
code markdown:
## Create a @name@

Send a `POST` request to `/v1/@names@` with a JSON body.

| Field | Type | Required | Description |
|-------|------|----------|-------------|
| `name` | string | yes | Display name, 1-80 characters |
| `tags` | array | no | Up to 10 labels |

Returns `201 Created` with the new @name@ in the body.
endcode

@role mobile
titles: mobile engineer; iOS developer; Android developer; React Native specialist
names: mobile-developer; ios-engineer; android-engineer; react-native-dev; flutter-expert; mobile-architect
techs: Swift; SwiftUI; Kotlin; Jetpack Compose; React Native; Flutter; Expo; Xcode Instruments; Firebase; Fastlane
qualities: battery usage; startup time; offline support; smooth scrolling; app size; crash-free sessions
risks: main-thread blocking; memory leaks; unhandled deep links; permission denials; flaky network conditions; inconsistent platform behaviour
tasks: building mobile screens; handling offline sync; integrating push notifications; optimizing app startup; preparing store releases; debugging platform-specific crashes
globs: **/*.swift; **/*.kt; app/**
topic: Screen Architecture | UI Architecture | Screens = screen; view model; navigation route; reusable view; state holder
topic: Offline and Sync | Local Data | Persistence = local cache; sync queue; conflict resolver; database migration; background fetch
topic: Networking | API Clients | Network Layer = API client; retry interceptor; request timeout; response parser; connectivity check
topic: Performance | App Performance | Responsiveness = startup path; image loader; list adapter; animation; background thread
topic: Platform Integration | Native APIs | Device Features = push notification; deep link; permission prompt; camera module; biometric prompt
topic: Release and Distribution | Releases | App Store = release build; signing config; store listing; staged rollout; crash report
topic: Testing | Mobile Testing | Device Testing = UI test; snapshot test; device matrix; emulator profile; beta build
topic: Accessibility | Inclusive Design | A11y = dynamic type setting; screen reader label; touch target; contrast ratio; reduced motion option
row: Slow cold start | Defer non-critical SDK initialization
row: Janky list | Stable item ids and image downsampling
row: Offline edits | Local queue with server-side conflict resolution
row: Permission denied | Explain the feature and offer a settings shortcut
row: Risky release | Staged rollout with crash-rate gates
code kotlin:
class @Name@ListViewModel(
    private val repository: @Name@Repository,
) : ViewModel() {
    val state: StateFlow<@Name@ListState> = repository.observe@Name@s()
        .map { items -> @Name@ListState.Loaded(items) }
        .catch { emit(@Name@ListState.Error(it.message ?: "Unknown error")) }
        .stateIn(viewModelScope, SharingStarted.WhileSubscribed(5_000), @Name@ListState.Loading)

    fun refresh() = viewModelScope.launch { repository.refresh() }
}
endcode

@role ml
titles: machine learning engineer; MLOps engineer; data scientist; applied ML researcher
names: ml-engineer; mlops-engineer; data-scientist; model-trainer; ml-pipeline-builder; feature-engineer
techs: PyTorch; scikit-learn; XGBoost; MLflow; Hugging Face Transformers; Ray; Weights & Biases; ONNX; Kubeflow; NumPy
qualities: reproducibility; model accuracy; inference latency; training cost; fairness; calibration
risks: data leakage; training-serving skew; overfitting; label noise; silent model drift; unversioned datasets
tasks: training and evaluating models; building feature pipelines; deploying models to production; tracking experiments; debugging model performance; monitoring model drift
globs: **/*.ipynb; training/**; **/*.py
topic: Data Preparation | Datasets | Training Data = training dataset; validation split; label set; feature column; data snapshot
topic: Feature Engineering | Features | Feature Pipelines = feature transform; feature store entry; embedding; categorical encoder; normalization step
topic: Model Training | Training | Experiments = training run; hyperparameter sweep; loss curve; checkpoint; random seed
topic: Evaluation | Model Evaluation | Metrics = evaluation metric; holdout set; confusion matrix; baseline model; error analysis
topic: Deployment | Model Serving | Inference = inference endpoint; model artifact; batch scoring job; model registry entry; shadow deployment
topic: Monitoring | Model Monitoring | Drift Detection = prediction log; drift monitor; feature distribution; performance dashboard; retraining trigger
topic: Experiment Tracking | Reproducibility | Tracking = experiment record; config file; environment lockfile; dataset version; run comparison
topic: Responsible AI | Fairness | Model Risk = bias audit; model card; sensitive attribute; explanation report; human review step
row: Great offline metrics, poor production results | Check for training-serving skew first
row: Imbalanced classes | Stratified splits and per-class metrics
row: Expensive retraining | Warm start from the last good checkpoint
row: Unclear model choice | Compare against a simple baseline before tuning
row: Drifting inputs | Alert on feature distribution, not only accuracy
code python:
def train(config: TrainConfig) -> float:
    set_seed(config.seed)
    train_ds, val_ds = load_splits(config.dataset_version)
    model = build_model(config)
    with mlflow.start_run(run_name=f"@name@-{config.seed}"):
        mlflow.log_params(asdict(config))
        for epoch in range(config.epochs):
            train_one_epoch(model, train_ds)
            val_loss = evaluate(model, val_ds)
            mlflow.log_metric("val_loss", val_loss, step=epoch)
        return val_loss
endcode

@role qa
titles: QA engineer; test automation engineer; quality engineer; SDET
names: qa-engineer; test-automator; test-engineer; e2e-tester; quality-engineer; test-writer
techs: pytest; Playwright; Cypress; Jest; Selenium; k6; Hypothesis; Postman; JUnit; Testcontainers
qualities: test reliability; coverage; feedback speed; reproducibility; maintainability; isolation
risks: flaky tests; hidden test dependencies; over-mocking; missing edge cases; slow suites; false positives
tasks: writing unit and integration tests; building end-to-end suites; fixing flaky tests; designing test plans; improving coverage; setting up test data
globs: tests/**; **/*.spec.ts; **/test_*.py
topic: Test Strategy | Testing Approach | Test Pyramid = test plan; unit test; integration test; end-to-end test; risk matrix
topic: Test Design | Writing Tests | Test Cases = test case; assertion; boundary value; parametrized test; property-based test
topic: Test Data | Fixtures | Data Setup = fixture; factory; seed dataset; test database; cleanup hook
topic: Flaky Tests | Reliability | Stability = flaky test; retry annotation; wait condition; quarantine list; timing assumption
topic: Automation | Test Automation | CI Integration = test runner; parallel shard; CI test job; test report; coverage gate
topic: Mocking | Test Doubles | Isolation = mock; stub; fake service; contract stub; recorded response
topic: Bug Reporting | Defects | Triage = bug report; reproduction step; severity label; regression test; root cause note
topic: Performance Testing | Load Testing | Non-Functional Testing = load scenario; latency threshold; soak test; stress profile; performance baseline
row: Test passes locally, fails in CI | Check ordering, time zones and shared state
row: Sleep-based waits | Wait for an observable condition instead
row: Slow end-to-end suite | Push checks down to API and unit level
row: Hard-to-build fixtures | Factories with sensible defaults
row: Bug fixed | Regression test that fails before the fix
code python:
@pytest.mark.parametrize("quantity, expected", [(0, 400), (1, 201), (500, 201), (501, 400)])
def test_create_@name@_validates_quantity(client, quantity, expected):
    response = client.post("/@names@", json={"sku": "ABC-1", "quantity": quantity})
    assert response.status_code == expected
endcode
code ts:
test("user can archive a @name@", async ({ page }) => {
  await page.goto("/@names@");
  await page.getByRole("row", { name: /first @name@/i }).getByRole("button", { name: "Archive" }).click();
  await expect(page.getByRole("status")).toHaveText("@Name@ archived");
});
endcode

@role reviewer
titles: code reviewer; senior code reviewer; code quality specialist; refactoring expert
names: code-reviewer; senior-code-reviewer; quality-reviewer; refactoring-expert; pr-reviewer; clean-code-advisor
techs: ESLint; Ruff; mypy; SonarQube; Prettier; Black; pre-commit; GitHub pull requests; CodeClimate; clang-tidy
qualities: readability; correctness; maintainability; simplicity; consistency; testability
risks: hidden side effects; duplicated logic; unclear naming; missing error handling; dead code; tight coupling
tasks: reviewing pull requests; suggesting refactors; enforcing coding standards; spotting bugs before merge; reviewing test coverage; mentoring on code quality
globs: **/*; src/**; lib/**
topic: Review Priorities | What to Look For | Review Focus = code change; public function; control flow; edge case; return value
topic: Readability | Naming and Clarity | Clean Code = variable name; function signature; comment; module layout; magic number
topic: Correctness | Bugs and Logic | Logic Errors = conditional branch; loop boundary; null check; error path; concurrent access
topic: Design | Structure | Code Organization = abstraction; module boundary; dependency; interface; class hierarchy
topic: Tests in Review | Test Coverage | Tests = test file; assertion; test name; fixture; coverage report
topic: Feedback Style | Communication | Review Comments = review comment; suggestion; blocking issue; nitpick; follow-up ticket
topic: Refactoring | Code Improvement | Cleanup = duplicated block; long function; nested conditional; legacy module; extracted helper
topic: Standards | Conventions | Style Rules = lint rule; formatting setting; import order; type annotation; docstring
row: Critical | Security holes, data loss, broken builds: must fix before merge
row: Major | Bugs, missing tests, unclear ownership: fix in this PR
row: Minor | Naming, small duplication: fix or ticket
row: Nit | Style preferences: optional, prefix with "nit:"
row: Praise | Good patterns worth repeating: say so explicitly
code python:
# Before: nested conditionals hide the error path
def apply_discount(@name@, code):
    if code:
        if code in ACTIVE_CODES:
            return @name@.total * 0.9
    return @name@.total

# After: guard clause, named constant, explicit lookup
def apply_discount(@name@, code):
    if not code or code not in ACTIVE_CODES:
        return @name@.total
    return @name@.total * (1 - DISCOUNT_RATE)
endcode

@role sre
titles: site reliability engineer; incident responder; on-call engineer; observability engineer
names: sre-engineer; incident-responder; reliability-engineer; observability-expert; oncall-assistant; postmortem-writer
techs: Prometheus; Grafana; OpenTelemetry; PagerDuty; Datadog; Loki; Jaeger; Kubernetes; Alertmanager; Sentry
qualities: availability; mean time to recovery; error budget; alert precision; latency; operability
risks: alert fatigue; cascading failures; noisy neighbours; missing runbooks; single points of failure; silent data corruption
tasks: responding to incidents; designing SLOs; tuning alerts; writing postmortems; improving observability; planning capacity
globs: ops/**; alerts/**; **/*.yaml
topic: Incident Response | Incident Handling | During an Incident = incident channel; severity level; mitigation step; status update; incident commander
topic: SLOs and Error Budgets | Service Levels | Reliability Targets = service level objective; error budget; SLI query; burn-rate alert; availability target
topic: Alerting | Alert Design | Paging = alert rule; paging policy; alert threshold; escalation path; notification route
topic: Observability | Telemetry | Metrics, Logs and Traces = metric; log field; trace span; dashboard panel; exemplar
topic: Postmortems | Learning from Incidents | Retrospectives = postmortem; contributing factor; action item; timeline entry; blameless review
topic: Runbooks | Operational Docs | Playbooks = runbook; diagnostic command; escalation contact; recovery procedure; known issue
topic: Capacity and Scaling | Capacity | Load Management = capacity forecast; autoscaler; load shedding rule; queue depth; resource quota
topic: Resilience | Fault Tolerance | Failure Modes = retry budget; circuit breaker; failover plan; chaos experiment; dependency map
row: SEV1 | Page immediately, incident commander, updates every 30 minutes
row: SEV2 | Page during business hours, updates every hour
row: SEV3 | Ticket, next business day
row: Alert nobody acts on | Delete it or turn it into a dashboard
row: Recurring incident | Postmortem action item with an owner and a date
code yaml:
groups:
  - name: @names@-api-slo
    rules:
      - alert: @Name@ApiErrorBudgetBurn
        expr: |
          sum(rate(http_requests_total{service="@names@-api",code=~"5.."}[1h]))
            / sum(rate(http_requests_total{service="@names@-api"}[1h])) > 14.4 * 0.001
        for: 5m
        labels:
          severity: page
        annotations:
          runbook_url: https://runbooks.example.com/@names@-api/error-budget
endcode

@role accessibility
titles: accessibility specialist; UX engineer; inclusive design advocate; accessibility auditor
names: accessibility-auditor; a11y-specialist; ux-engineer; inclusive-design-reviewer; wcag-checker; ux-reviewer
techs: WCAG 2.2; axe-core; ARIA; VoiceOver; NVDA; Lighthouse; Figma; Storybook; pa11y; Radix UI
qualities: perceivability; keyboard operability; readability; consistency; learnability; inclusiveness
risks: missing labels; keyboard traps; low contrast; motion sickness triggers; inaccessible modals; confusing focus order
tasks: auditing pages for WCAG compliance; reviewing component accessibility; improving keyboard navigation; writing accessible forms; evaluating UX flows; fixing screen reader issues
globs: **/*.html; **/*.tsx; **/*.vue
topic: Semantic Markup | HTML Semantics | Structure = landmark region; heading hierarchy; button element; list markup; native control
topic: Keyboard Access | Keyboard Navigation | Focus Management = focus order; focus indicator; skip link; keyboard shortcut; focus trap
topic: Screen Readers | Assistive Technology | ARIA Usage = accessible name; ARIA attribute; live region; status message; hidden text
topic: Color and Contrast | Visual Design | Contrast = text color; focus ring color; icon contrast; color-only signal; dark theme palette
topic: Forms | Accessible Forms | Input Design = form label; error summary; required field marker; input hint; autocomplete attribute
topic: Motion and Media | Media | Animation = animation; video caption; audio description; autoplaying carousel; reduced motion query
topic: User Flows | UX Review | Interaction Design = user flow; empty state; confirmation dialog; error message; onboarding step
topic: Testing and Audits | Accessibility Testing | Audits = automated scan; manual audit; screen reader test; audit report; remediation ticket
row: Icon-only button | Accessible name via aria-label or visually hidden text
row: Custom dropdown | Native select unless the design truly needs more
row: Modal dialog | Trap focus inside, restore it on close
row: Error on submit | Error summary at the top linked to each field
row: Autoplaying animation | Respect prefers-reduced-motion and offer pause
code html:
<button type="button" aria-expanded="false" aria-controls="@name@-filters">
  Filter @names@
</button>
<div id="@name@-filters" hidden>
  <label for="@name@-status">Status</label>
  <select id="@name@-status" name="status">
    <option value="open">Open</option>
    <option value="closed">Closed</option>
  </select>
</div>
endcode

@role llm
titles: LLM application engineer; prompt engineer; AI integration specialist; RAG engineer
names: prompt-engineer; llm-engineer; ai-integrator; rag-builder; agent-designer; eval-engineer
techs: OpenAI API; Anthropic API; LangChain; LlamaIndex; pgvector; Pinecone; tiktoken; Pydantic; vLLM; promptfoo
qualities: answer faithfulness; latency; token cost; determinism; groundedness; safety
risks: prompt injection; hallucinated citations; context overflow; silent model changes; leaked system prompts; runaway tool loops
tasks: designing prompts; building retrieval pipelines; evaluating LLM outputs; integrating tool calling; reducing token costs; hardening against prompt injection
globs: prompts/**; **/*.py; **/*.ts
topic: Prompt Design | Prompting | System Prompts = system prompt; few-shot example; output format instruction; prompt template; role instruction
topic: Retrieval | RAG Pipelines | Context Retrieval = chunking strategy; embedding index; retriever; reranker; context window budget
topic: Tool Use | Function Calling | Agents and Tools = tool schema; tool result; agent loop; stop condition; tool permission
topic: Evaluation | LLM Evals | Quality Measurement = eval dataset; grading rubric; regression eval; judge prompt; golden answer
topic: Safety | Guardrails | Prompt Injection Defense = input filter; output validator; refusal policy; untrusted document; moderation check
topic: Cost and Latency | Efficiency | Token Budget = token budget; response cache; streaming response; model tier; batch request
topic: Structured Output | Output Parsing | Schemas = JSON schema; output parser; validation retry; typed response model; fallback answer
topic: Operations | LLM Ops | Monitoring = prompt version; request log; model version pin; usage dashboard; feedback signal
row: Answers cite missing sources | Require document ids and validate them after generation
row: Costs growing fast | Cache, trim context, route easy requests to a smaller model
row: Tool loop never ends | Step limit and an explicit stop condition
row: Untrusted web content | Treat as data, never as instructions
row: Prompt change | Run the regression eval before shipping
code python:
SYSTEM_PROMPT = """You answer questions about @names@ using only the documents provided.
If the documents do not contain the answer, say you do not know."""

def answer(question: str, docs: list[Doc]) -> Answer:
    context = "\n\n".join(f"<doc id={d.id}>{d.text}</doc>" for d in docs[:MAX_DOCS])
    response = client.messages.create(
        model=MODEL_ID,
        max_tokens=800,
        system=SYSTEM_PROMPT,
        messages=[{"role": "user", "content": f"{context}\n\nQuestion: {question}"}],
    )
    return parse_answer(response)
endcode
'''

# --------------------------------------------------------------------------------------------------------
# Sentence templates, shared by all roles and filled from a role's vocabulary.
# Slots: {obj} {obj2} (objects of the topic), {tech} {tech2} {quality} {quality2} {risk} (role),
#        {when} {safeguard} {artifact} {adj} (generic).
# --------------------------------------------------------------------------------------------------------

BULLETS = [
    "Always validate every {obj} {when}",
    "Prefer {tech} for the {obj} unless the team has already standardized on something else",
    "Never change a {obj} without {safeguard}",
    "Document each {obj} and the reasoning behind it in {artifact}",
    "Keep every {obj} {adj} so that reviewers can reason about it quickly",
    "Use {tech} to check the {obj} for {risk}",
    "Flag any {obj} that could introduce {risk}",
    "Measure {quality} for the {obj} and compare it against the previous baseline",
    "Treat the {obj} as part of the public contract and version it explicitly",
    "Review the {obj} together with the {obj2} rather than in isolation",
    "Write a regression test whenever a {obj} causes {risk}",
    "Start from the existing {obj} conventions in the codebase before introducing new ones",
    "Explain the trade-off between {quality} and {quality2} when proposing a new {obj}",
    "Break large {obj} changes into small, independently reviewable steps",
    "Automate checks on the {obj} with {tech} in CI",
    "Ask for clarification when the expected behaviour of a {obj} is ambiguous",
    "Avoid clever abstractions around the {obj}; favour code that is obvious to the next reader",
    "Make the {obj} observable: log its key decisions and expose metrics for {quality}",
    "Design each {obj} to fail loudly and early instead of silently degrading",
    "Check that the {obj} still works when {tech} is upgraded",
    "Capture assumptions about the {obj} in {artifact}",
    "Reuse the shared {obj} helpers instead of duplicating logic",
    "Prioritize {quality} over premature optimization of the {obj}",
    "Keep secrets and credentials out of every {obj}",
    "Verify the {obj} against realistic data, not only the happy path",
    "Name each {obj} after what it does, not how it is implemented",
    "Remove unused {obj} code as soon as it is safe to do so",
    "Pin the version of {tech} used to build the {obj}",
    "Coordinate with the owners of the {obj2} before changing the {obj}",
    "Consider how the {obj} behaves under {risk}",
    "Limit each {obj} to a single, clearly stated responsibility",
    "Provide a clear migration path when a {obj} is deprecated",
    "Run {tech} locally before pushing changes to the {obj}",
    "Guard the {obj} with {safeguard} {when}",
    "Set explicit limits and timeouts on every {obj}",
    "Return actionable error messages from the {obj}",
    "Profile the {obj} with {tech} when the numbers for {quality} regress",
    "Keep the {obj} consistent with the conventions documented in {artifact}",
    "Watch for {risk} whenever the {obj} changes shape",
    "Pair each {obj} with a short example in {artifact}",
    "Decide who owns the {obj} before it ships, and write that down",
    "Keep the {obj} and the {obj2} in the same change when one depends on the other",
    "Prefer boring, well-understood {tech} patterns for the {obj}",
    "Estimate the impact on {quality} before touching the {obj}",
    "Reject any {obj} that relies on undocumented {tech} behaviour",
    "Make the {obj} easy to roll back; a bad change is much cheaper to undo than to debug",
]

TAILS = [
    "; this keeps reviews short",
    "; otherwise problems such as {risk} slip through",
    ", and measure {quality} to confirm it",
    "; call out any exception explicitly",
    ", even for small changes",
    ", especially under deadline pressure",
    "; the next maintainer will thank you",
    " and link the reasoning in {artifact}",
    " so that {quality} stays predictable",
    ", because problems like {risk} are hard to spot later",
]

CHECKS = [
    "Every {obj} has {safeguard}",
    "The {obj} is covered by tests, including failure cases",
    "The {obj} was checked for {risk}",
    "The impact on {quality} has been measured",
    "The {obj} is described in {artifact}",
    "{Tech} checks pass on the {obj}",
    "The {obj} follows the existing conventions",
    "Edge cases for the {obj} are handled explicitly",
    "Changes to the {obj} are backward compatible or clearly flagged",
    "The {obj} has a named owner",
    "No secrets or credentials appear in the {obj}",
    "The {obj} and the {obj2} are consistent with each other",
    "Assumptions about the {obj} are written down",
    "The {obj} was reviewed {when}",
    "Trade-offs between {quality} and {quality2} are explained",
    "Follow-up work on the {obj} is tracked in a ticket",
    "Nothing in the {obj} depends on undocumented {tech} behaviour",
    "The {obj} can be rolled back without data loss",
]

STEPS = [
    ("Understand the context", [
        "Read the existing {obj} code and {artifact} before proposing anything",
        "Ask what problem the {obj} is meant to solve and who depends on it",
        "Identify how the {obj} is used today and which teams rely on it",
    ]),
    ("Assess the current state", [
        "Inspect the {obj} and the {obj2} for {risk}",
        "Measure {quality} of the current {obj} to get a baseline",
        "List the constraints {tech} imposes on the {obj}",
    ]),
    ("Plan the change", [
        "Outline the smallest change to the {obj} that solves the problem",
        "Describe the trade-offs between {quality} and {quality2} before committing to an approach",
        "Split the work on the {obj} into reviewable steps",
    ]),
    ("Implement incrementally", [
        "Change one {obj} at a time and keep the build green",
        "Follow the established {tech} conventions for the {obj}",
        "Write the test for the {obj} first, then the implementation",
    ]),
    ("Verify", [
        "Run {tech} and the relevant test suites against the {obj}",
        "Check the {obj} for {risk} under realistic conditions",
        "Compare {quality} against the baseline you recorded earlier",
    ]),
    ("Document", [
        "Record decisions about the {obj} in {artifact}",
        "Update {artifact} so the next person understands the {obj}",
        "Note any follow-up work on the {obj} explicitly",
    ]),
    ("Hand off", [
        "Summarize what changed in the {obj}, what was verified, and what is still open",
        "Flag remaining risks around {risk} clearly to the requester",
        "Suggest next steps and who should own the {obj}",
    ]),
]

SUBSTEPS = [
    "Confirm the {obj} still matches the agreed scope",
    "Note anything about {risk} you could not rule out",
    "Keep {quality} in view while you work",
    "Ask before changing the {obj2}",
    "Prefer {tech} defaults unless there is a measured reason",
]

SECTION_PARAS = [
    "{Topic} is where problems like {risk} usually start, so you treat every {obj} with care.",
    "When you work on {topic}, you optimize for {quality} first and {quality2} second.",
    "Most problems in {topic} come from a {obj} nobody owns. Make ownership explicit.",
    "Apply these rules to every {obj}, whether you are writing new code or reviewing someone else's.",
    "You rely on {tech} for {topic}, but you understand what it does underneath.",
    "Good {topic} work is mostly invisible: nobody has to think about the {obj}, and {quality} takes care of itself.",
]

INTRO_OPENERS = [
    "You are a {senior} {title} specializing in {tech}, {tech2}, and {tech3}.",
    "You are an expert {title} with deep, hands-on experience in {tech} and {tech2}.",
    "You are a seasoned {title}. Your core stack is {tech}, {tech2}, and {tech3}.",
    "You are an elite {title} who has shipped production systems built on {tech} and {tech2}.",
    "As a {senior} {title}, you bring years of practical experience with {tech}, {tech2}, and {tech3}.",
]

INTRO_FOLLOWS = [
    "Your expertise spans {topic1}, {topic2}, and {topic3}, and you care deeply about {quality}.",
    "You know where problems like {risk} come from, and you design to prevent them rather than patch them later.",
    "You balance {quality} against {quality2} and you always explain the trade-offs you make.",
    "You write guidance that other engineers can follow without guessing.",
    "You favour simple, well-tested solutions over clever ones, and you say so when a request is over-engineered.",
    "You treat {topic1} and {topic2} as one discipline, because problems in one show up in the other.",
    "Your work is judged by {quality}, {quality2}, and how easy it is for the next person to change.",
]

OUTROS = [
    "If a request falls outside {title} work, say so and suggest a better-suited specialist.",
    "When in doubt, choose the simplest option that keeps {quality} intact, and explain why.",
    "Your goal is {quality} and {quality2} that the whole team can maintain long after you are gone.",
    "Always explain your reasoning so that the team can learn from each decision.",
    "Be direct about risks. A clear warning about {risk} now is worth more than a polite one later.",
]

WHEN = ["before merging", "before every release", "during code review", "when requirements change",
        "after each deploy", "before handing off", "at the start of every task", "before closing the ticket",
        "when the scope grows", "before a production rollout"]
SAFEGUARD = ["a rollback plan", "an automated test", "a written rationale", "a reviewer's sign-off",
             "monitoring in place", "a feature flag", "a tracked follow-up ticket", "a reproducible example"]
ARTIFACT = ["the README", "the pull request description", "the design doc", "the runbook", "inline comments",
            "the changelog", "the team wiki", "an ADR"]
ADJ = ["small", "explicit", "consistent", "predictable", "focused", "well-named", "self-contained", "boring"]
SENIOR = ["senior", "staff-level", "principal", "highly experienced", "pragmatic"]
GROUP_SUFFIX = ["Guidelines", "Rules", "Practices", "Principles", "Patterns", "Standards", "Essentials"]
WORKFLOW_TITLES = ["Workflow", "Your Process", "Approach", "Working Method", "Response Approach", "Methodology",
                   "How You Work"]
CHECKLIST_TITLES = ["Quality Checklist", "Before You Finish", "Review Checklist", "Definition of Done",
                    "Quality Verification", "Final Checks", "Self-Review"]
TABLE_TITLES = ["Quick Reference", "Decision Guide", "Common Situations", "Cheat Sheet"]
TABLE_HEADERS = [("Situation", "Preferred approach"), ("Scenario", "Recommendation"), ("Problem", "What to do"),
                 ("Case", "Default choice")]
CODE_LEADS = ["Example:", "A typical pattern:", "Reference implementation:", "Prefer code shaped like this:",
              "For instance:"]
ENTITIES = ["Order", "Invoice", "Customer", "Shipment", "Account", "Subscription", "Ticket", "Report", "Payment",
            "Booking", "Product", "Project"]
FEATURES = ["the checkout flow", "user onboarding", "the billing service", "the admin dashboard", "search results",
            "the notifications pipeline", "the reporting module", "account settings", "the inventory sync",
            "the partner API", "the mobile release", "the analytics export", "team invitations", "the audit trail"]
VERBS = ["design", "review", "refactor", "debug", "optimize", "harden", "document", "extend"]
TOOLS = ["Read", "Write", "Edit", "MultiEdit", "Bash", "Grep", "Glob", "WebFetch", "WebSearch", "TodoWrite"]
MODELS = ["sonnet", "opus", "haiku", "inherit"]
COLORS = ["blue", "green", "purple", "orange", "red", "yellow", "cyan", "pink"]

# Rewording for near duplicates: one-word swaps in both directions and adverbs that can be dropped.
SYNONYMS = {
    "always": "consistently", "never": "do not", "every": "each", "each": "every", "before": "prior to",
    "prefer": "favour", "favour": "prefer", "use": "rely on", "keep": "maintain", "document": "record",
    "avoid": "steer clear of", "flag": "call out", "review": "inspect", "explicit": "clear",
    "explicitly": "clearly", "clearly": "plainly", "quickly": "fast", "small": "compact", "large": "big",
    "write": "add", "whenever": "each time", "change": "modify", "changes": "modifications",
    "changing": "modifying", "verify": "confirm", "check": "inspect", "ensure": "make sure",
    "existing": "current", "measure": "track", "compare": "contrast", "identify": "spot",
    "problem": "issue", "problems": "issues", "simple": "straightforward", "simplest": "most straightforward",
    "start": "begin", "remove": "delete", "limit": "cap", "limits": "caps", "provide": "offer",
    "explain": "describe", "describe": "explain", "run": "execute", "team": "group", "teams": "groups",
    "reasoning": "rationale", "obvious": "clear", "realistic": "representative", "relevant": "applicable",
    "smallest": "minimal", "risks": "hazards", "easy": "simple", "reviewers": "readers", "later": "afterwards",
    "new": "fresh", "rather": "instead", "clever": "tricky", "owners": "maintainers", "short": "brief",
    "important": "critical", "deeply": "strongly", "rules": "guidelines", "guidance": "advice",
    "problem.": "issue.", "first": "initially", "record": "capture", "capture": "record", "owns": "maintains",
}
DROPPABLE = {"always", "clearly", "explicitly", "carefully", "also", "still", "only", "quickly", "early",
             "deeply", "together", "really", "very", "independently", "practical", "named", "short", "small",
             "explicit", "shared", "relevant", "key", "actionable", "realistic", "public", "single",
             "automated", "whole", "new", "existing", "previous", "established", "reviewable", "relevant",
             "hands-on", "seasoned", "elite", "expert", "senior"}
HEDGES = [" where possible", " in practice", ", as a rule", " by default", " wherever it applies"]

_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")

LAYOUTS = [("plugin", 42), ("claude", 20), ("skill", 15), ("cursor", 8), ("copilot", 7), ("project", 8)]
PLUGIN_WORDS = (["core", "pro", "team", "open", "fast", "smart", "agentic", "dev", "acme", "ship", "prime", "daily"],
                ["toolkit", "agents", "suite", "pack", "workflows", "essentials", "crew", "squad", "kit", "lab"])
TEAMS = ["platform", "payments", "growth", "infra", "mobile-team", "data-platform", "search", "identity",
         "checkout", "insights", "devex", "marketplace"]
SERVICE_WORDS = (["billing", "search", "orders", "accounts", "catalog", "notify", "ledger", "media", "auth",
                  "reports", "ingest", "pricing", "support", "maps"],
                 ["api", "worker", "web", "gateway", "sync", "console", "service", "jobs"])
NPM_PACKAGES = ["left-pad", "chalk", "commander", "yaml", "markdown-it", "lodash", "zod", "semver", "debug",
                "picocolors", "glob", "minimist", "ajv", "esbuild", "vitest", "prettier"]


# --------------------------------------------------------------------------------------------------------
# Parsed vocabulary
# --------------------------------------------------------------------------------------------------------


@dataclass
class Topic:
    titles: list[str]
    objs: list[str]


@dataclass
class Role:
    key: str
    titles: list[str]
    names: list[str]
    techs: list[str]
    qualities: list[str]
    risks: list[str]
    tasks: list[str]
    globs: list[str]
    topics: list[Topic] = field(default_factory=list)
    rows: list[tuple[str, str]] = field(default_factory=list)
    code: list[tuple[str, str]] = field(default_factory=list)


def _parse_roles(text: str) -> list[Role]:
    roles: list[Role] = []
    lines = text.strip("\n").split("\n")
    i = 0
    cur: dict = {}

    def flush() -> None:
        if cur:
            roles.append(Role(**cur))

    while i < len(lines):
        line = lines[i]
        i += 1
        if not line.strip():
            continue
        if line.startswith("@role "):
            flush()
            cur = {"key": line.split()[1], "topics": [], "rows": [], "code": []}
            continue
        key, _, value = line.partition(":")
        value = value.strip()
        if key == "topic":
            titles, _, objs = value.partition("=")
            cur["topics"].append(Topic([t.strip() for t in titles.split("|")], [o.strip() for o in objs.split(";")]))
        elif key == "row":
            left, _, right = value.partition("|")
            cur["rows"].append((left.strip(), right.strip()))
        elif key.startswith("code "):
            lang = key.split()[1]
            body = []
            while lines[i] != "endcode":
                body.append(lines[i])
                i += 1
            i += 1
            cur["code"].append((lang, "\n".join(body)))
        else:
            cur[key] = [v.strip() for v in value.split(";")]
    flush()
    return roles


ROLES = _parse_roles(_ROLE_DATA)

# --------------------------------------------------------------------------------------------------------
# Text helpers
# --------------------------------------------------------------------------------------------------------

_ARTICLE = re.compile(r"\b([Aa]) (?=([A-Za-z]+))")


def _fix_articles(s: str) -> str:
    def repl(m: re.Match) -> str:
        word = m.group(2)
        if len(word) > 1 and word.isupper():  # acronyms: "an SLO", "a CI job"
            vowel = word[0] in "AEFHILMNORSX"
        else:
            vowel = word[0] in "aeiouAEIOU" and not word.lower().startswith(("uni", "use", "usa", "uti", "one"))
        art = m.group(1)
        return (("An" if art == "A" else "an") if vowel else art) + " "

    return _ARTICLE.sub(repl, s)


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:] if s else s


def _title(s: str) -> str:
    return " ".join(_cap(w) for w in s.split(" "))


def _slug(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-")


class _Filler:
    """Fills templates from one role's vocabulary; `objs` is the topic's object list."""

    def __init__(self, role: Role, rng: random.Random):
        self.role = role
        self.rng = rng

    def fill(self, template: str, objs: list[str], **extra: str) -> str:
        r = self.rng
        role = self.role
        o1, o2 = r.sample(objs, 2) if len(objs) > 1 else (objs[0], objs[0])
        t1, t2, t3 = r.sample(role.techs, 3)
        q1, q2 = r.sample(role.qualities, 2)
        risk = r.choice(role.risks)
        values = dict(
            obj=o1, obj2=o2, tech=t1, tech2=t2, tech3=t3, Tech=_cap(t1), quality=q1, quality2=q2, risk=risk,
            when=r.choice(WHEN), safeguard=r.choice(SAFEGUARD), artifact=r.choice(ARTIFACT), adj=r.choice(ADJ),
            title=r.choice(role.titles), senior=r.choice(SENIOR),
        )
        values.update(extra)
        return _fix_articles(template.format(**values))


def _build_pools(seed: int) -> dict:
    """For every role: bullet pools per topic, section paragraphs per topic, checklist and workflow pools."""
    pools = {}
    for role in ROLES:
        rng = random.Random(f"{seed}:pool:{role.key}")
        f = _Filler(role, rng)
        topics = []
        for topic in role.topics:
            seen: set[str] = set()
            bullets: list[str] = []
            tries = 0
            while len(bullets) < 64 and tries < 2000:
                tries += 1
                s = f.fill(rng.choice(BULLETS), topic.objs)
                if rng.random() < 0.35:
                    s += f.fill(rng.choice(TAILS), topic.objs)
                if s not in seen:
                    seen.add(s)
                    bullets.append(s)
            paras = sorted({f.fill(t, topic.objs, topic=topic.titles[0].lower(), Topic=topic.titles[0])
                            for t in SECTION_PARAS for _ in range(2)})
            topics.append({"bullets": bullets, "paras": paras})
        all_objs = [o for t in role.topics for o in t.objs]
        checks = sorted({_cap(f.fill(rng.choice(CHECKS), all_objs)) for _ in range(80)})
        steps = [sorted({f.fill(t, all_objs) for t in templates for _ in range(4)}) for _, templates in STEPS]
        subs = sorted({f.fill(t, all_objs) for t in SUBSTEPS for _ in range(3)})
        pools[role.key] = {"topics": topics, "checks": checks, "steps": steps, "subs": subs}
    return pools


# --------------------------------------------------------------------------------------------------------
# Documents: a body as structured blocks, so that near duplicates can be derived unit by unit.
# --------------------------------------------------------------------------------------------------------


@dataclass
class Block:
    kind: str  # p | list | ol | check | code | table
    text: str = ""  # paragraph text; code body
    items: list[str] = field(default_factory=list)  # list items (without markers); table rows "a | b"
    lead: str = ""  # heading over a list: "**Lead:**" pseudo-heading or "### Lead"
    lead_style: str = ""  # pseudo | pseudo-gap | h3 | ""
    lang: str = ""
    header: tuple[str, str] = ("", "")


@dataclass
class Section:
    title: str
    alts: list[str]
    blocks: list[Block]
    topic: int = -1  # index into the role's topics, -1 for workflow/checklist/reference


@dataclass
class Doc:
    role: Role
    h1: str
    intro: list[str]
    sections: list[Section]
    outro: str
    lead: str  # first sentence(s) of the description
    examples: list[tuple[str, str, str, str]]  # context, user, assistant, commentary ("" = tool-call line)
    entity: str
    tool_line: str  # "<Agent tool call to {name}>" style, chosen per doc


def _render_block(b: Block) -> str:
    if b.kind == "p":
        return b.text
    if b.kind == "code":
        return f"```{b.lang}\n{b.text}\n```"
    if b.kind == "table":
        h1, h2 = b.header
        rows = [f"| {h1} | {h2} |", "|" + "-" * (len(h1) + 2) + "|" + "-" * (len(h2) + 2) + "|"]
        rows += [f"| {r} |" for r in b.items]
        return "\n".join(rows)
    if b.kind == "ol":
        lines = [f"{n}. {it}" for n, it in enumerate(b.items, 1)]
    elif b.kind == "check":
        lines = [f"- [ ] {it}" for it in b.items]
    else:
        lines = [f"- {it}" for it in b.items]
    out = "\n".join(lines)
    if b.lead_style == "pseudo":
        return f"**{b.lead}:**\n{out}"
    if b.lead_style == "pseudo-gap":
        return f"**{b.lead}**\n\n{out}"
    if b.lead_style == "h3":
        return f"### {b.lead}\n\n{out}"
    return out


def render_body(doc: Doc) -> str:
    parts: list[str] = []
    if doc.h1:
        parts.append(f"# {doc.h1}")
    parts += doc.intro
    for s in doc.sections:
        parts.append(f"## {s.title}")
        parts += [_render_block(b) for b in s.blocks]
    if doc.outro:
        parts.append(doc.outro)
    return "\n\n".join(parts) + "\n"


def _make_doc(rng: random.Random, role: Role, pool: dict) -> Doc:
    f = _Filler(role, rng)
    n_topics = rng.randint(4, 6)
    topic_ids = rng.sample(range(len(role.topics)), n_topics)
    tnames = [role.topics[t].titles[0].lower() for t in topic_ids]
    entity = rng.choice(ENTITIES)

    # Intro paragraph(s).
    intro = [f.fill(rng.choice(INTRO_OPENERS), ["x"]) + " " + " ".join(
        f.fill(t, ["x"], topic1=tnames[0], topic2=tnames[1], topic3=tnames[2])
        for t in rng.sample(INTRO_FOLLOWS, rng.randint(1, 2)))]
    if rng.random() < 0.3:
        intro.append(f.fill("When you are invoked, start by reading the relevant code and {artifact}, then state "
                            "your plan in a few bullet points before you make changes.", ["x"]))

    # Topic sections: one of several list styles per agent, as real libraries tend to be uniform per file.
    style = rng.choice(["pseudo", "pseudo", "h3", "flat", "bold"])
    sections: list[Section] = []
    for t in topic_ids:
        topic = role.topics[t]
        bullets = pool["topics"][t]["bullets"]
        blocks: list[Block] = []
        if rng.random() < 0.35:
            blocks.append(Block("p", text=rng.choice(pool["topics"][t]["paras"])))
        if style in ("pseudo", "h3"):
            n_groups = rng.randint(1, 3)
            picked = rng.sample(bullets, sum(rng.randint(3, 4) for _ in range(n_groups)))
            cuts = sorted(rng.sample(range(1, len(picked)), n_groups - 1)) if n_groups > 1 else []
            leads = rng.sample(topic.objs, n_groups)
            lead_style = "h3" if style == "h3" else rng.choice(["pseudo", "pseudo", "pseudo-gap"])
            for lead, chunk in zip(leads, _split(picked, cuts)):
                blocks.append(Block("list", items=chunk, lead=f"{_title(lead)} {rng.choice(GROUP_SUFFIX)}",
                                    lead_style=lead_style))
        elif style == "flat":
            blocks.append(Block("list", items=rng.sample(bullets, rng.randint(4, 8))))
        else:
            chosen = rng.sample(bullets, rng.randint(3, 6))
            leads = rng.sample(topic.objs, len(topic.objs))
            items = [f"**{_cap(leads[i % len(leads)])}**: {b}" for i, b in enumerate(chosen)]
            blocks.append(Block("list", items=items))
        sections.append(Section(topic.titles[0], topic.titles[1:], blocks, topic=t))

    # Code and table go into a topic section or a section of their own.
    if rng.random() < 0.55 and role.code:
        lang, code = rng.choice(role.code)
        code = code.replace("@Name@", entity).replace("@names@", entity.lower() + "s").replace("@name@", entity.lower())
        blocks = [Block("p", text=rng.choice(CODE_LEADS)), Block("code", text=code, lang=lang)]
        if rng.random() < 0.6:
            rng.choice(sections).blocks.extend(blocks)
        else:
            sections.insert(rng.randint(1, len(sections)), Section("Example", ["Code Example", "Sample"], blocks))
    if rng.random() < 0.3:
        rows = rng.sample(role.rows, rng.randint(3, min(5, len(role.rows))))
        table = Block("table", items=[f"{a} | {b}" for a, b in rows], header=rng.choice(TABLE_HEADERS))
        titles = rng.sample(TABLE_TITLES, 3)
        sections.insert(rng.randint(1, len(sections)), Section(titles[0], titles[1:], [table]))

    # Numbered workflow.
    steps = sorted(rng.sample(range(len(STEPS)), rng.randint(5, 7)))
    bold_steps = rng.random() < 0.7
    items = []
    for s in steps:
        text = rng.choice(pool["steps"][s])
        item = f"**{STEPS[s][0]}**: {text}" if bold_steps else f"{text}."
        if rng.random() < 0.2:
            item += "\n" + "\n".join(f"   - {x}" for x in rng.sample(pool["subs"], 2))
        items.append(item)
    titles = rng.sample(WORKFLOW_TITLES, 3)
    workflow = Section(titles[0], titles[1:], [Block("ol", items=items)])
    sections.insert(len(sections) if rng.random() < 0.7 else rng.randint(1, len(sections)), workflow)

    # Checklist, at the end.
    titles = rng.sample(CHECKLIST_TITLES, 3)
    blocks = []
    if rng.random() < 0.5:
        blocks.append(Block("p", text=rng.choice(["Before finalizing, verify:", "Before you report back, confirm:",
                                                  "Check each item before you finish:"])))
    blocks.append(Block("check", items=rng.sample(pool["checks"], rng.randint(5, 9))))
    sections.append(Section(titles[0], titles[1:], blocks))

    outro = f.fill(rng.choice(OUTROS), ["x"]) if rng.random() < 0.5 else ""
    h1 = _cap(rng.choice(role.titles)) if rng.random() < 0.25 else ""

    # Description material: a lead sentence and 2-4 examples.
    tasks = rng.sample(role.tasks, 3)
    lead = f"Use this agent when {tasks[0]}, {tasks[1]}, or {tasks[2]}."
    if rng.random() < 0.5:
        lead += f" Trigger it proactively after {rng.choice(role.tasks)} or {rng.choice(['before', 'after'])} " \
                f"merging changes that touch {rng.choice(tnames)}."
    examples = []
    for _ in range(rng.randint(2, 4)):
        obj = rng.choice(role.topics[rng.choice(topic_ids)].objs)
        feat = rng.choice(FEATURES)
        ctx = rng.choice([f"User is working on {feat} and needs help with the {obj}.",
                          f"After implementing {feat}, the {obj} needs a review.",
                          f"User reports {rng.choice(role.risks)} in {feat}.",
                          ""])
        user = rng.choice([f"I need to {rng.choice(VERBS)} the {obj} for {feat}",
                           f"Can you review the {obj} I just wrote for {feat}?",
                           f"We're seeing {rng.choice(role.risks)} in {feat}, can you help?",
                           f"What's the best way to handle the {obj} here?"])
        asst = rng.choice([f"I'll use the {{name}} agent to {rng.choice(VERBS)} the {obj}.",
                           f"Let me launch the {{name}} agent to look into the {obj} and its "
                           f"{rng.choice(role.qualities)}.",
                           f"This is a good fit for the {{name}} agent, which will check the {obj} for "
                           f"{rng.choice(role.risks)}."])
        comm = rng.choice([f"Since the task involves the {obj} and {rng.choice(role.qualities)}, the {{name}} agent "
                           f"is the right choice.", ""])
        examples.append((_fix_articles(ctx), _fix_articles(user), _fix_articles(asst), _fix_articles(comm)))
    tool_line = rng.choice(["<Agent tool call to {name}>", "<Task tool call to {name} agent>",
                            "*Uses Task tool to launch {name}*"])
    return Doc(role, h1, intro, sections, outro, lead, examples, entity, tool_line)


def _split(seq: list, cuts: list[int]) -> list[list]:
    out, prev = [], 0
    for c in cuts + [len(seq)]:
        out.append(seq[prev:c])
        prev = c
    return out


# --------------------------------------------------------------------------------------------------------
# Near duplicates
# --------------------------------------------------------------------------------------------------------


_PROTECTED: list[str] = []


def _protected_phrases() -> list[str]:
    """Vocabulary phrases ("feature flag", "docs review") and idioms that rewording must leave alone: only
    those containing a word that rewording could swap or drop, lowercased."""
    if not _PROTECTED:
        phrases = {"each other", "written down", "rule out", "happy path", "step by step"}
        for r in ROLES:
            phrases.update(r.techs + r.qualities + r.risks + r.titles)
            for t in r.topics:
                phrases.update(t.objs)
        touchable = set(SYNONYMS) | DROPPABLE
        _PROTECTED.extend(sorted(p.lower() for p in phrases
                                 if any(w.lower() in touchable for w in _WORD.findall(p))))
    return _PROTECTED


def _protected_spans(text: str) -> list[tuple[int, int]]:
    low = text.lower()
    spans = []
    for p in _protected_phrases():
        i = low.find(p)
        while i >= 0:
            spans.append((i, i + len(p)))
            i = low.find(p, i + 1)
    return spans


def reword(text: str, rng: random.Random) -> str:
    """Reword one unit: swap one or two words for synonyms and sometimes drop an adverb or adjective; when no
    word qualifies, add a hedge. Always returns a different text."""
    protected = _protected_spans(text)
    words = [m for m in _WORD.finditer(text) if not any(a <= m.start() < b for a, b in protected)]
    swappable = [m for m in words if m.group(0).lower() in SYNONYMS]
    droppable = [m for m in words[1:-1] if m.group(0).lower() in DROPPABLE]
    edits: dict[int, tuple[int, str]] = {}  # start -> (end, replacement)
    for m in rng.sample(swappable, min(len(swappable), rng.randint(1, 2))):
        w = m.group(0)
        rep = SYNONYMS[w.lower()]
        edits[m.start()] = (m.end(), _cap(rep) if w[0].isupper() else rep)
    if droppable and (not edits or rng.random() < 0.3):
        m = rng.choice(droppable)
        if m.start() not in edits and text[m.end():m.end() + 1] == " ":
            edits[m.start()] = (m.end() + 1, "")
    if not edits:
        hedge = rng.choice(HEDGES)
        stripped = text.rstrip(".:")
        return stripped + hedge + text[len(stripped):]
    out, pos = [], 0
    for start in sorted(edits):
        end, rep = edits[start]
        out.append(text[pos:start])
        out.append(rep)
        pos = end
    out.append(text[pos:])
    new = _fix_articles("".join(out))
    if text[:1].isupper():
        new = _cap(new)
    return new if new != text else text.rstrip(".:") + HEDGES[0] + text[len(text.rstrip(".:")):]


def _units(doc: Doc) -> list[tuple[list[str], int]]:
    """(container, index) of every rewordable unit: paragraphs and list items."""
    refs = [(doc.intro, i) for i in range(len(doc.intro))]
    for s in doc.sections:
        for b in s.blocks:
            if b.kind in ("list", "ol", "check"):
                refs += [(b.items, i) for i in range(len(b.items))]
    return refs


def _paragraph_refs(doc: Doc) -> list[Block]:
    return [b for s in doc.sections for b in s.blocks if b.kind == "p"]


def make_near(doc: Doc, rng: random.Random, pool: dict) -> Doc:
    v = copy.deepcopy(doc)
    v.role = doc.role  # share, not copy
    # 1. Reword 10-25% of the units.
    refs = _units(v)
    paras = _paragraph_refs(v)
    n_units = len(refs) + len(paras)
    k = max(1, round(rng.uniform(0.10, 0.25) * n_units))
    chosen = rng.sample(range(n_units), k)
    for c in chosen:
        if c < len(refs):
            container, i = refs[c]
            container[i] = reword(container[i], rng)
        else:
            b = paras[c - len(refs)]
            b.text = reword(b.text, rng)
    # 2. Remove a few list items (keeping at least two per list).
    lists = [b for s in v.sections for b in s.blocks if b.kind == "list" and len(b.items) > 2]
    for _ in range(rng.randint(1, 3)):
        if not lists:
            break
        b = rng.choice(lists)
        b.items.pop(rng.randrange(len(b.items)))
        if len(b.items) <= 2:
            lists.remove(b)
    # 3. Add a few new items from the same topic's pool.
    topical = [s for s in v.sections if s.topic >= 0 and any(b.kind == "list" for b in s.blocks)]
    for _ in range(rng.randint(1, 4)):
        if not topical:
            break
        s = rng.choice(topical)
        b = rng.choice([b for b in s.blocks if b.kind == "list"])
        present = set(b.items)
        fresh = [x for x in pool["topics"][s.topic]["bullets"] if x not in present]
        if fresh:
            new = rng.choice(fresh)
            if b.items and b.items[0].startswith("**"):
                new = f"**{_cap(rng.choice(v.role.topics[s.topic].objs))}**: {new}"
            b.items.insert(rng.randint(0, len(b.items)), new)
    # 4. Reorder and/or rename sections (the checklist stays last).
    if rng.random() < 0.6 and len(v.sections) > 3:
        i, j = rng.sample(range(len(v.sections) - 1), 2)
        v.sections[i], v.sections[j] = v.sections[j], v.sections[i]
    if rng.random() < 0.6:
        for s in rng.sample(v.sections, rng.randint(1, 2)):
            if s.alts:
                s.title = rng.choice(s.alts)
    # 5. The description moves a little too.
    v.lead = reword(v.lead, rng)
    if len(v.examples) > 2 and rng.random() < 0.5:
        v.examples.pop(rng.randrange(len(v.examples)))
    return v


# --------------------------------------------------------------------------------------------------------
# Files: frontmatter per layout, whitespace noise for exact copies
# --------------------------------------------------------------------------------------------------------


def _description(doc: Doc, name: str, rng: random.Random) -> str:
    parts = [doc.lead, "", "Examples:" if rng.random() < 0.5 else "Examples:\n"]
    for ctx, user, asst, comm in doc.examples:
        lines = ["<example>"]
        if ctx:
            lines.append(f"Context: {ctx}")
        lines.append(f'user: "{user}"')
        lines.append(f'assistant: "{asst.format(name=name)}"')
        if comm:
            lines += ["<commentary>", comm.format(name=name), "</commentary>"]
        else:
            lines.append(doc.tool_line.format(name=name))
        lines.append("</example>")
        parts.append("\n".join(lines) + "\n")
    return "\n".join(parts).rstrip("\n")


def _yaml_desc(desc: str, rng: random.Random) -> str:
    style = rng.choices(["plain", "quoted", "block"], [70, 20, 10])[0]
    if style == "plain":  # one line with literal \n, usually not valid YAML, as found in the wild
        return "description: " + desc.replace("\n", "\\n")
    if style == "quoted":
        return 'description: "' + desc.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    return "description: |\n" + "\n".join(("  " + ln) if ln else "" for ln in desc.split("\n"))


def _frontmatter(doc: Doc, layout: str, name: str, rng: random.Random) -> str:
    role = doc.role
    if layout == "project":
        return ""
    if layout in ("plugin", "claude"):
        lines = [f"name: {name}", _yaml_desc(_description(doc, name, rng), rng)]
        if rng.random() < 0.6:
            tools = sorted(rng.sample(TOOLS, rng.randint(3, 7)), key=TOOLS.index)
            lines.append("tools: " + ", ".join(tools))
        if rng.random() < 0.8:
            lines.append(f"model: {rng.choice(MODELS)}")
        if rng.random() < 0.6:
            lines.append(f"color: {rng.choice(COLORS)}")
    elif layout == "skill":
        t = rng.sample(role.tasks, 2)
        desc = f"{_cap(t[0])} and {t[1]}. Use when the user asks for help with {rng.choice(role.tasks)}."
        lines = [f"name: {name}", f"description: {desc}"]
        if rng.random() < 0.4:
            lines.append("allowed-tools: " + ", ".join(sorted(rng.sample(TOOLS[:7], 3), key=TOOLS.index)))
    elif layout == "cursor":
        desc = f"{_cap(rng.choice(role.titles))} rules for {rng.choice(role.tasks)}"
        lines = [f"description: {desc}", f"globs: {rng.choice(role.globs)}",
                 f"alwaysApply: {'true' if rng.random() < 0.2 else 'false'}"]
    else:  # copilot
        lines = [f'applyTo: "{rng.choice(role.globs)}"']
        if rng.random() < 0.5:
            lines.append(f"description: {_cap(rng.choice(role.tasks))}")
    return "---\n" + "\n".join(lines) + "\n---\n\n"


def _whitespace_noise(body: str, rng: random.Random) -> str:
    """Trailing spaces on some lines and extra blank lines between blocks: the same body once folded."""
    lines = body.split("\n")
    out = []
    fence = False
    for ln in lines:
        if ln.startswith("```"):
            fence = not fence
        if ln and not fence and rng.random() < 0.12:
            ln += rng.choice([" ", "  ", "\t", "   "])
        out.append(ln)
        if not ln and not fence and rng.random() < 0.08:
            out.append("")
    text = "\n".join(out)
    if rng.random() < 0.5:
        text = text.rstrip("\n") + rng.choice(["", "\n\n", "\n  \n"])
    return text


# --------------------------------------------------------------------------------------------------------
# Layout
# --------------------------------------------------------------------------------------------------------


class _Paths:
    def __init__(self, n: int, rng: random.Random):
        self.rng = rng
        self.used: set[str] = set()
        n_plugins = max(3, n // 15)
        names = sorted({f"{a}-{b}" for a in PLUGIN_WORDS[0] for b in PLUGIN_WORDS[1]})
        names += [f"{r.key}-{b}" for r in ROLES for b in PLUGIN_WORDS[1]]
        rng.shuffle(names)
        self.plugins = [names[i % len(names)] + (f"-{i // len(names) + 1}" if i >= len(names) else "")
                        for i in range(n_plugins)]
        n_teams = max(2, n // 60)
        self.teams = [TEAMS[i % len(TEAMS)] + (f"-{i // len(TEAMS) + 1}" if i >= len(TEAMS) else "")
                      for i in range(n_teams)]

    def _unique(self, make) -> str:
        for attempt in range(1000):
            p = make(attempt)
            if p not in self.used:
                self.used.add(p)
                return p
        raise RuntimeError("could not find a free path")

    def agent(self, layout: str, name: str) -> str:
        r = self.rng
        if layout == "plugin":
            plugin = r.choice(self.plugins)
            return self._unique(lambda a: f"plugins/{plugin}/agents/{name}{_sfx(a)}.md")
        if layout == "claude":
            return self._unique(lambda a: f".claude/agents/{name}{_sfx(a)}.md")
        if layout == "skill":
            team = r.choice(self.teams)
            return self._unique(lambda a: f"{team}/skills/{name}{_sfx(a)}/SKILL.md")
        if layout == "cursor":
            return self._unique(lambda a: f".cursor/rules/{name}{_sfx(a)}.mdc")
        if layout == "copilot":
            return self._unique(lambda a: f".github/instructions/{name}{_sfx(a)}.instructions.md")
        fname = r.choice(["CLAUDE.md", "AGENTS.md"])
        return self._unique(lambda a: f"services/{r.choice(SERVICE_WORDS[0])}-{r.choice(SERVICE_WORDS[1])}"
                                      f"{_sfx(a // 20)}/{fname}")

    def claim(self, path: str) -> str:
        self.used.add(path)
        return path


def _sfx(attempt: int) -> str:
    return "" if attempt == 0 else f"-{attempt + 1}"


def _agent_name(role: Role, rng: random.Random, avoid: set[str] = frozenset()) -> str:
    for _ in range(50):
        base = rng.choice(role.names)
        x = rng.random()
        if x < 0.35:
            name = base
        elif x < 0.6:
            name = f"{base}-{_slug(rng.choice(role.techs))}"
        elif x < 0.8:
            name = f"{rng.choice(['senior', 'lead', 'expert', 'pro', 'staff'])}-{base}"
        else:
            name = f"{base}-{_slug(rng.choice(role.topics).titles[0]).split('-')[0]}"
        if name not in avoid:
            return name
    n = 2
    while f"{base}-v{n}" in avoid:
        n += 1
    return f"{base}-v{n}"


# --------------------------------------------------------------------------------------------------------
# Noise
# --------------------------------------------------------------------------------------------------------


def _readme(title: str, agents: list[str], rng: random.Random) -> str:
    rows = "\n".join(f"| `{a}` | {rng.choice(['Reviews', 'Builds', 'Plans', 'Audits', 'Documents'])} "
                     f"{rng.choice(['APIs', 'pipelines', 'components', 'releases', 'schemas', 'tests'])} |"
                     for a in agents)
    return (f"# {title}\n\nA collection of agents and skills maintained by the team.\n\n## Installation\n\n"
            f"```bash\n/plugin marketplace add example/{_slug(title)}\n/plugin install {_slug(title)}\n```\n\n"
            f"## Agents\n\n| Agent | Purpose |\n|-------|---------|\n{rows}\n\n## Contributing\n\n"
            "Open a pull request with one agent per file. Run `make lint` before pushing.\n\n"
            "## License\n\nMIT\n")


def _changelog(rng: random.Random) -> str:
    out = ["# Changelog", "", "All notable changes to this project are documented in this file.", ""]
    major, minor = rng.randint(0, 2), rng.randint(1, 9)
    for i in range(rng.randint(3, 8)):
        out += [f"## [{major}.{minor - i if minor - i >= 0 else 0}.{rng.randint(0, 5)}] - "
                f"202{rng.randint(3, 5)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", ""]
        for kind in rng.sample(["Added", "Changed", "Fixed", "Removed"], rng.randint(1, 3)):
            out += [f"### {kind}", ""]
            out += [f"- {rng.choice(['Support for', 'Typo in', 'Handling of', 'Docs for', 'Option for'])} "
                    f"{rng.choice(['model selection', 'tool lists', 'skills', 'Windows paths', 'colors', 'hooks'])}"
                    for _ in range(rng.randint(1, 4))]
            out.append("")
    return "\n".join(out)


# --------------------------------------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------------------------------------


def _cluster_sizes(total: int, rng: random.Random) -> list[int]:
    """Split `total` extra members into clusters of 1-5 extra members (cluster size 2-6)."""
    sizes = []
    while total > 0:
        k = min(total, rng.choices([1, 2, 3, 4, 5], [50, 25, 12, 8, 5])[0])
        sizes.append(k)
        total -= k
    return sizes


def generate(outdir, agents: int = 1000, seed: int = 1, exact_rate: float = 0.05, near_rate: float = 0.10,
             overwrite: bool = False) -> dict:
    """Write a synthetic library of `agents` agent files under `outdir`; return (and write) the manifest.

    `exact_rate` and `near_rate` are the fractions of agent files that are planted copies: each cluster has
    one source agent plus 1-5 derived files, and the derived files make up these fractions of the total.
    """
    if agents < 1:
        raise ValueError("agents must be at least 1")
    if not (0 <= exact_rate and 0 <= near_rate and exact_rate + near_rate <= 0.8):
        raise ValueError("rates must be >= 0 and exact_rate + near_rate <= 0.8")
    out = Path(outdir)
    if out.exists() and any(out.iterdir()):
        if not overwrite:
            raise FileExistsError(f"{out} is not empty (use --force to replace an earlier synthetic library)")
        if not (out / "manifest.json").is_file():
            raise FileExistsError(f"{out} is not empty and has no manifest.json; refusing to delete it")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)

    rng = random.Random(seed)
    pools = _build_pools(seed)
    paths = _Paths(agents, random.Random(f"{seed}:paths"))
    layout_names = [l for l, _ in LAYOUTS]
    layout_weights = [w for _, w in LAYOUTS]

    n_exact = round(agents * exact_rate)
    n_near = round(agents * near_rate)
    exact_sizes = _cluster_sizes(n_exact, rng)
    near_sizes = _cluster_sizes(n_near, rng)
    n_sources = agents - n_exact - n_near
    if n_sources < len(exact_sizes) + len(near_sizes):
        raise ValueError("too few agents for the requested duplicate rates")

    # Roles are dealt round-robin with a shuffle, so every role is present in small libraries too.
    role_order = []
    while len(role_order) < n_sources:
        chunk = list(range(len(ROLES)))
        rng.shuffle(chunk)
        role_order += chunk
    role_order = role_order[:n_sources]

    files: dict[str, bytes] = {}
    docs: list[tuple[Doc, str]] = []  # (doc, path) of source agents
    names: list[str] = []
    roles: dict[str, str] = {}

    def write_agent(doc: Doc, name: str, body: str | None = None, crlf: bool = False) -> str:
        layout = rng.choices(layout_names, layout_weights)[0]
        path = paths.agent(layout, name)
        text = _frontmatter(doc, layout, name, rng) + (render_body(doc) if body is None else body)
        if crlf:
            text = text.replace("\n", "\r\n")
        files[path] = text.encode("utf-8")
        roles[path] = doc.role.key
        return path

    for i in range(n_sources):
        role = ROLES[role_order[i]]
        doc = _make_doc(rng, role, pools[role.key])
        name = _agent_name(role, rng)
        docs.append((doc, write_agent(doc, name, crlf=rng.random() < 0.03)))
        names.append(name)

    # Cluster sources are distinct agents; exact and near clusters never share a source.
    sources = rng.sample(range(n_sources), len(exact_sizes) + len(near_sizes))
    exact_clusters, near_clusters = [], []
    for src, k in zip(sources[:len(exact_sizes)], exact_sizes):
        doc, path = docs[src]
        body = render_body(doc)
        members, taken = [path], {names[src]}
        for _ in range(k):
            noisy = _whitespace_noise(body, rng) if rng.random() < 0.7 else body
            name = _agent_name(doc.role, rng, taken)
            taken.add(name)
            members.append(write_agent(doc, name, noisy, crlf=rng.random() < 0.3))
        exact_clusters.append(members)
    for src, k in zip(sources[len(exact_sizes):], near_sizes):
        doc, path = docs[src]
        members, taken = [path], {names[src]}
        for _ in range(k):
            v = make_near(doc, rng, pools[doc.role.key])
            name = _agent_name(doc.role, rng, taken)
            taken.add(name)
            members.append(write_agent(v, name, crlf=rng.random() < 0.03))
        near_clusters.append(members)

    # Noise: README.md / CHANGELOG.md everywhere, and node_modules/ and .git/ trees. Some noise files are
    # agent-shaped copies of library agents, so a scanner that does not skip those folders reports clusters
    # that are not in the manifest.
    noise: dict[str, bytes] = {}
    nrng = random.Random(f"{seed}:noise")
    agent_paths = sorted(files)
    noise["README.md"] = _readme("Agent Library", [Path(p).stem for p in agent_paths[:12]], nrng).encode()
    noise["CHANGELOG.md"] = _changelog(nrng).encode()
    by_plugin: dict[str, list[str]] = {}
    for p in agent_paths:
        if p.startswith("plugins/"):
            by_plugin.setdefault(p.split("/")[1], []).append(Path(p).stem)
    for plugin in sorted(by_plugin):
        noise[f"plugins/{plugin}/README.md"] = _readme(plugin, by_plugin[plugin], nrng).encode()
        if nrng.random() < 0.4:
            noise[f"plugins/{plugin}/CHANGELOG.md"] = _changelog(nrng).encode()
    if any(p.startswith(".claude/agents/") for p in agent_paths):
        noise[".claude/agents/README.md"] = _readme("Project agents", [
            Path(p).stem for p in agent_paths if p.startswith(".claude/agents/")][:20], nrng).encode()
    for team in paths.teams:
        if any(p.startswith(f"{team}/skills/") for p in agent_paths):
            noise[f"{team}/skills/README.md"] = _readme(f"{team} skills", [], nrng).encode()
    n_pkgs = max(3, agents // 100)
    for i in range(n_pkgs):
        pkg = NPM_PACKAGES[i % len(NPM_PACKAGES)] + (f"-{i // len(NPM_PACKAGES)}" if i >= len(NPM_PACKAGES) else "")
        noise[f"node_modules/{pkg}/README.md"] = _readme(pkg, [], nrng).encode()
        noise[f"node_modules/{pkg}/CHANGELOG.md"] = _changelog(nrng).encode()
    n_traps = max(2, agents // 200)
    trap_src = sorted(nrng.sample(agent_paths, min(n_traps, len(agent_paths))))
    for j, p in enumerate(trap_src):
        stem = Path(p).parent.name if p.endswith(("SKILL.md", "CLAUDE.md", "AGENTS.md")) else Path(p).name.split(".")[0]
        if j % 3 == 2:
            noise[f".git/info/agents-backup/{stem}.md"] = files[p]
        else:
            noise[f"node_modules/@agent-packs/common/agents/{stem}.md"] = files[p]
    noise[".git/hooks/README.md"] = b"# Hooks\n\nSample hooks installed by the repository setup script.\n"
    noise[".git/COMMIT_MSG_TEMPLATE.md"] = b"# Summary\n\n# Why\n\n# Testing\n"
    if by_plugin:
        plugin = sorted(by_plugin)[0]
        noise[f"plugins/{plugin}/.git/info/NOTES.md"] = b"# Notes\n\nVendored from upstream; do not edit.\n"

    made: set[str] = set()
    for path in sorted(files) + sorted(noise):
        full = out / path
        parent = str(full.parent)
        if parent not in made:
            os.makedirs(parent, exist_ok=True)
            made.add(parent)
        with open(full, "wb") as fh:
            fh.write(files[path] if path in files else noise[path])

    manifest = {
        "seed": seed,
        "agents": len(files),
        "exact_rate": exact_rate,
        "near_rate": near_rate,
        "files": sorted(files),
        "noise": sorted(noise),
        "exact_clusters": sorted(exact_clusters),
        "near_clusters": sorted(near_clusters),
        "bytes": sum(len(b) for b in files.values()),
        "noise_bytes": sum(len(b) for b in noise.values()),
        "roles": {p: roles[p] for p in sorted(roles)},
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Generate a synthetic agent library with planted duplicates.")
    ap.add_argument("outdir")
    ap.add_argument("--agents", type=int, default=1000, help="number of agent files (default 1000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--exact-rate", type=float, default=0.05,
                    help="fraction of agent files that are exact copies of another (default 0.05)")
    ap.add_argument("--near-rate", type=float, default=0.10,
                    help="fraction of agent files that are near duplicates of another (default 0.10)")
    ap.add_argument("--force", action="store_true", help="replace an earlier synthetic library in OUTDIR")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    try:
        m = generate(args.outdir, args.agents, args.seed, args.exact_rate, args.near_rate, overwrite=args.force)
    except (ValueError, FileExistsError) as e:
        print(f"synth: {e}", file=sys.stderr)
        return 2
    dt = time.perf_counter() - t0
    print(f"{args.outdir}: {m['agents']} agents, {m['bytes'] / 1e6:.1f} MB, {len(m['noise'])} noise files, "
          f"{len(m['exact_clusters'])} exact clusters, {len(m['near_clusters'])} near clusters, {dt:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
