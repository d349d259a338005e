"""The general conflict detectors (modality, choice, value, order, scope, code against a rule, frontmatter
absence) on pairs of small agents: each form of contradiction in more than one wording, and agreements
worded with opposite polarity that must stay quiet."""

from __future__ import annotations

import pytest

from agentmerge import merge_files
from agentmerge.conflicts.choice import load_alternatives, mentions


def conflicts(tmp_path, a: str, b: str, *, fm_a: str = "", fm_b: str = ""):
    pa, pb = tmp_path / "a.md", tmp_path / "b.md"
    pa.write_text((f"---\n{fm_a}---\n" if fm_a else "") + "# Agent A\n\n" + a + "\n", encoding="utf-8")
    pb.write_text((f"---\n{fm_b}---\n" if fm_b else "") + "# Agent B\n\n" + b + "\n", encoding="utf-8")
    result = merge_files([str(pa), str(pb)])
    return [c for c in result.conflicts if c.kind != "persona"]


def kinds(found):
    return sorted(c.kind for c in found)


CONFLICTS = [
    # modality, scoped
    ("modality", "- Never run migrations by hand.", "- Running a migration by hand is fine in an emergency."),
    ("modality", "- Do not force-push to shared branches.", "- You may force-push to shared branches to clean up history."),
    # choices
    ("choice", "- Install with pnpm.", "- Yarn workspaces for dependencies"),
    ("choice", "- Terraform for infrastructure.", "- Infrastructure as code in Pulumi"),
    ("choice", "- Maven for builds", "- Build with Gradle."),
    ("choice", "- State with Redux Toolkit", "- Use Zustand for global state."),
    ("choice", "- Track every experiment in MLflow.", "- Log runs to Weights & Biases."),
    ("choice", "- Prefer GraphQL over REST for new endpoints.", "- Expose new endpoints as REST APIs."),
    # values
    ("value", "- CI must finish within 10 minutes.", "- Pipeline budget: 25 min."),
    ("value", "- Retry at most 3 times.", "- Up to 5 retries on network errors."),
    ("value", "- Keep CI under 10 minutes.", "- Keep CI under 25 minutes."),
    ("value", "- Availability target: three nines.", "- Aim for 99.99% uptime."),
    # order
    ("order", "- Write the design doc before any code.", "- Document the design once the code has settled."),
    # scope and authority
    ("scope", "- Ask before opening a PR.", "- Open PRs without asking."),
    ("scope", "- Only edit files under src/.", "- Update the deployment manifests when needed."),
    # code against a rule
    ("code", "- Never call `eval`.", "```python\nresult = eval(expr)\n```"),
    ("code", "- Always pass `timeout=` to `requests` calls.", "```python\nr = requests.get(url)\n```"),
    ("code", "- Never pickle models.", "```python\nimport pickle\npickle.dump(model, f)\n```"),
    ("code", "- Don't use `unwrap()` in library code.", "```rust\nlet text = read(path).unwrap();\n```"),
    # a requirement waived
    ("modality", "- Every new model goes through a shadow deployment.", "- Shadow deployment is optional for small retrains."),
    # a numbered procedure against a stated order
    ("order", "1. Write the public API and its docs first.\n2. Implement behind that API.",
     "- Document the public API once the implementation has stabilised."),
    # a passive or "not allowed" prohibition: the subject is what is prohibited
    ("modality", "- Nightly exports must not be copied to personal laptops.",
     "- Nightly exports may be copied to your laptop for offline analysis."),
    ("modality", "- Feature flags are not allowed in library code.",
     "- Use feature flags in library code to roll out risky changes."),
    # "first" across the sentences of one paragraph
    ("order|polarity", "Profile the endpoint first. Optimise the slow query once the profile is clear.",
     "- Optimise the slow query before profiling anything."),
    # a value in a label's details, a percentile in its name
    ("value", "- Search p95 latency under 200 ms.", "**Latency**: p95 budget of 0.5 s."),
    # "never X yourself" waits for someone
    ("scope|modality", "- Never merge to main yourself; a maintainer merges.", "- Merge to main yourself once CI is green."),
    # a labelled item's details act on what the label names
    ("scope", "- Ask before adding a new library to the lockfile.", "**Libraries**: add them as you need them."),
    # a limit that names a kind of thing
    ("scope", "- Only change test code under tests/.", "- Change the request handlers when a test needs it."),
    # a command with arguments between its words; "never log X"; a required argument on a method call
    ("code", "- Never use `git push --force` on shared branches.", "```bash\ngit push origin main --force\n```"),
    ("code", "- Never log access tokens.", "```python\nlog.info(\"refreshed %s\", session.access_token)\n```"),
    ("code", "- Always set an explicit `timeout` on every `fetch` call.", "```js\nconst r = await client.fetch(url);\n```"),
    # an option that opens its statement doing the job
    ("choice", "- Snakemake drives every pipeline.", "- Write pipelines in Nextflow."),
    # a prohibition as a predicate of its subject, against a permission worded "it's OK to"
    ("modality", "- Force-pushing a release branch is off-limits.",
     "- It's OK to force-push a release branch when nobody else has pulled it."),
    ("modality", "- Emailing customers from a test account is forbidden.",
     "- Feel free to email customers from a test account during the beta."),
    # switching a thing off against switching it on
    ("modality|polarity", "- Disable query caching on the reporting replica.", "- Turn on query caching on the reporting replica."),
    ("modality|polarity", "- Debug toolbars are switched off in staging.", "- Enable the debug toolbar in staging."),
    # "never switch it off" against a permission to switch it off: a waiver
    ("modality", "- Never turn off request signing.", "- Disabling request signing is acceptable while the load test runs."),
    # a waiver worded "you don't need to"
    ("modality", "- Every schema change must be reviewed by a DBA.",
     "- You don't need to have a DBA review a schema change to a scratch table."),
    # "no longer than" is a limit, not history; a count "a day" is a rate
    ("value", "- Session tokens live no longer than 30 minutes.", "- Session tokens live for two hours."),
    ("value", "- Send no more than 2 reminder emails per week.", "- Send up to 5 reminder emails a week."),
    # "A first and B afterwards" against "A only after B"
    ("order|polarity", "- Tag the release only after the changelog is merged.",
     "- Tag the release first and merge the changelog afterwards."),
    # a cadence without a number; a negated "more than" is a cap; a verb for a violation names the limit
    ("value", "- Dashboards refresh every hour.", "- Refresh the dashboards twice a day."),
    ("value", "- No single query may scan more than 500 GB.", "- Keep each query's scan under 2 TB."),
    ("value", "- Flag pull requests longer than 400 lines.", "- No pull request over 800 lines."),
    # the plural noun of a compound is what is counted; "one" before a noun and "is enough" counts
    ("value", "- Escalate after 2 customer replies without a fix.", "- Escalate after 3 customer replies without a fix."),
    ("value", "- Every change needs two approvals.", "- One approval is enough for a change."),
    # two scopes that name one situation in more or fewer words
    ("value", "- A clean build finishes in under 12 minutes on the CI runners.", "- Clean builds may take up to 25 min on CI."),
    # build systems and package managers of C++; "X are <option> …" says what they are
    ("choice", "- CMake is the build system for every target.", "- We build everything with Bazel."),
    ("choice", "- Third-party libraries come through vcpkg.", "- Third-party packages are managed with Conan."),
    ("choice", "- Transformations are dbt models.", "- Transformations run in SQLMesh."),
    # waiting until someone confirms; "touch only …" and a thing that belongs to someone else; "except"
    ("scope", "- Do not close a ticket until the customer confirms the fix.",
     "- Close tickets on your own after the fix is sent."),
    ("scope", "- Touch only `cmake/` and `.github/`; source files belong to the library owners.",
     "- Edit source files directly when a build fix needs it."),
    ("scope", "- Never change models in the `finance` schema except through a ticket from the finance team.",
     "- Fix finance models directly when a number looks wrong."),
    ("scope", "- Breaking prop changes need sign-off from the design council.",
     "- Rename or remove props yourself when the API feels wrong."),
    # requirement words of everyday speech, in the sentence itself or the one after it
    ("modality", "- Warnings are errors in CI (`-Werror`); this is non-negotiable.",
     "- Turning off `-Werror` in CI is acceptable during a compiler upgrade."),
    ("modality", "- ccache is a must on every runner.", "- Don't install ccache on the runners."),
    ("modality", "- Primary-key tests are mandatory on every model.", "- Primary-key tests are nice to have for staging models."),
    # "never X without Y" requires Y: a waiver of Y contradicts it
    ("modality", "- Never ship a component without a Storybook story.", "- Stories are optional for internal-only components."),
    # two procedures that say their order in words
    ("order", "1. Agree the metric definition with its owner upfront.\n2. Write the SQL for the model.",
     "1. Write the model first.\n2. Settle the metric definition with stakeholders afterwards."),
    # SQL keywords in either case
    ("code", "- Never use `SELECT *` in a model; list the columns.", "```sql\nselect *\nfrom orders\n```"),
    # a thing done first in one, left for the end in the other
    ("order", "- Write the widget test before writing the widget.", "- Write widget tests at the end, after the screen is approved."),
    ("order", "- Apologise first, then explain what happened.", "- Give the fix first; keep any apology for the end."),
    # business hours and working days are units of time
    ("value", "- Answer every support email within 4 business hours.",
     "- Support emails get a first answer within two working days."),
    # products no category lists, for one purpose, neither naming the other's
    ("choice", "- Warehouse orders are picked in Quorvane WMS; every pick list is printed there.",
     "- Stelloq is the warehouse system for every order and pick list."),
    ("choice", "- Vessel positions are pulled from the Maritrak feed.",
     "- Read vessel positions through Seawise, refreshed every minute."),
    # versions of anything named
    ("value", "- Integrate the gateway through OAuth 2.1 everywhere.", "- The gateway speaks OAuth 2.0 only."),
    ("value", "- Every target is compiled as C++23.", "- Targets build with C++17."),
    # one value named in other words in the two inputs
    ("value", "- Rotate the signing certificates every month.", "- Certificate rotation happens each quarter, signing keys included."),
    # money, with the sign before the number and in words
    ("value", "- Refunds above $200 need a lead's approval.", "- Refunds over 500 dollars need a lead's approval."),
    # a long prohibited action against a requirement naming all of it but one qualifier
    ("modality", "- Never ask a tenant about their credit score history.",
     "- Ask every tenant for their current credit score on the first call."),
    # an action reserved for someone else, actively or in the passive
    ("scope", "- Only a licensed pharmacist may approve a refill override.",
     "- Approve refill overrides yourself when the prescription is on file."),
    ("scope", "- Shift schedules are changed only by the store manager; send a request.",
     "- Change the shift schedule yourself when someone calls in sick."),
    # code against a rule: console logging, a quoted word kept out, a field kept out of records
    ("code", "- Never log a patient's date of birth.",
     "```javascript\nconsole.log('admitted', patient.dateOfBirth);\n```"),
    ("code", "- Ticket replies use plain words: no \"ASAP\", no \"per my last email\".",
     "Reply template:\n\n```text\nHi, we will fix this ASAP.\n```"),
    ("code", "- Never store a customer's full card number in support notes.",
     "```json\n{\"name\": \"Ana\", \"cardNumber\": \"4111 1111 1111 1111\"}\n```"),
    # "only after A does B" and a statement done first
    ("order|polarity", "- Only after the backup is verified does the migration start.",
     "- Start the migration first; verify the backup once it has finished."),
]


@pytest.mark.parametrize("kind, a, b", CONFLICTS, ids=[f"{k}-{i}" for i, (k, _a, _b) in enumerate(CONFLICTS)])
def test_each_form_is_found_with_one_line_why(tmp_path, kind, a, b):
    found = conflicts(tmp_path, a, b)
    assert set(kind.split("|")) & set(kinds(found)), found  # "order|polarity": whichever detector says it first
    for c in found:
        assert "\n" not in c.message and len(c.sides) >= 2


AGREEMENTS = [
    ("- Don't commit secrets.", "- Read secrets from the vault."),
    ("- Never delete old releases.", "- Keep every past release."),
    ("- Experience with Jest, Vitest and Mocha.", "- Write unit tests with Vitest."),
    ("- We migrated from Webpack to Vite in 2022.", "- Bundle the app with webpack."),
    ("- Test coverage 90% and type coverage 100%.", "- Coverage must be at least 90%."),
    ("- Retry at most 5 times.", "- Retry 3 times."),
    ("- Timeout 1.5 s for reads.", "- Read timeout: 1500 ms."),
    ("- Never apply manifests by hand in staging or production.", "- Applying manifests by hand is fine in the dev cluster."),
    ("- Use SQLite for tests.", "- Use Postgres for the application database."),
    ("- Never call `eval`.", "Bad:\n\n```python\nresult = eval(expr)  # vulnerable\n```"),
    ("- Ask before deleting branches.", "- Open PRs without asking."),
    # "no X without Y" requires Y: a requirement naming both agrees
    ("- No endpoint without an explicit auth check.", "- Every endpoint has an explicit auth check."),
    # a negation inside a condition prohibits nothing
    ("- If a test cannot be made deterministic, quarantine it.", "- Make every test deterministic."),
    # the owner of a logged name is not what is logged
    ("- Never log user passwords.", "```python\nlogger.info(\"login ok for %s\", user.name)\n```"),
    # fixing a problem is no edit of a place
    ("- Only change test code under tests/.", "- Fix flaky tests as soon as they show up."),
    # two percentiles are two quantities
    ("- Search p99 latency under 300 ms.", "- Search p95 latency under 150 ms."),
    # the same rule as a predicate prohibition and as an instruction
    ("- Deleting audit rows is banned.", "- Keep every audit row."),
    ("- Stay away from the billing tables.", "- Read billing figures through the billing API."),
    # a negation inside a trailing condition belongs to the condition
    ("- It's fine to rebuild the cache when it has not been warmed yet.", "- Rebuild the cache after each deploy."),
    # "what the reader doesn't need" waives nothing
    ("- Cut anything the reader doesn't need to finish the task.", "- Every page needs a summary the reader can finish."),
    # a thing switched off, said twice
    ("- Telemetry is disabled in CI.", "- Never enable telemetry in CI."),
    # one limit said as "no X over N" and as "keep X under N"; one cadence in two words
    ("- No single query may scan more than 500 GB.", "- Keep each query's scan under 500 GB."),
    ("- Releases go out every week.", "- Ship a release weekly."),
    # "one" as an article counts nothing
    ("- HTTP calls go through one shared client.", "- Use two retries for HTTP calls."),
    # waiting for the customer and closing once they confirm say the same
    ("- Do not close a ticket until the customer confirms the fix.", "- Close the ticket once the customer confirms the fix."),
    ("- ccache is a must on every runner.", "- Install ccache on every runner."),
    ("- Warnings are errors in CI; this is non-negotiable.", "- Keep `-Werror` on in CI."),
    ("1. Agree the metric definition with its owner upfront.\n2. Write the SQL for the model.",
     "1. Settle the metric definition first.\n2. Write the model afterwards."),
    # the one place a rule allows is no construct it prohibits
    ("- Never store contract drafts outside the `legal-vault` bucket.",
     "```sh\naws s3 cp draft.pdf s3://legal-vault/drafts/draft.pdf\n```"),
    ("- Apologise first, then explain what happened.", "- Keep a summary of the fix for the end."),
    ("- Run the linter before committing.", "- Write the changelog entry at the end."),
    # "no need to ask before X" acts alone, as "X on your own" does; "call the API directly" is how, not who
    ("- There is no need to ask before restarting a stuck printer queue.", "- Restart stuck printer queues on your own."),
    ("- Do not merge API changes yourself.", "- Calling a carrier API directly from the WMS is fine."),
    # a statement about a week of shadow traffic is not a step done first against a deploy done last
    ("- Every new model goes through a shadow deployment for a week before it takes live traffic.",
     "4. Deploy as the last step, outside the cut-off window."),
    # one input names the other's product too: not two choices made blind to each other
    ("- Warehouse orders are picked in Quorvane WMS.",
     "- Stelloq is the warehouse system for every order; we moved off Quorvane in 2023."),
    # two products for two purposes
    ("- Warehouse orders are picked in Quorvane WMS.", "- Invoices are sent through Billhop."),
    # log levels and HTTP methods are no products
    ("- Use appropriate HTTP methods (GET, POST, PUT, DELETE).", "- Log at appropriate levels: DEBUG for inner functions."),
    # documents and parts are numbered, not versioned; a floor is no version
    ("- Follow ISO 27001 for the audit.", "- Map the controls to ISO 9001 clauses as well."),
    ("- Support Node 18+.", "- CI runs on Node 20."),
    # a prohibition with a limit agrees with the requirement that states it
    ("- Never collect more personal data than the stated purpose needs.",
     "- Collect only the fields the stated purpose requires."),
    # a masked or templated field keeps the rule
    ("- Never store a customer's full card number in support notes.",
     "```json\n{\"cardNumber\": \"**** **** **** 1111\"}\n```"),
    # "including" before no list states the rule
    ("- A panel has at most four interviewers, including the hiring manager.",
     "- A panel has at most four interviewers."),
]


@pytest.mark.parametrize("a, b", AGREEMENTS)
def test_agreements_and_mentions_are_not_conflicts(tmp_path, a, b):
    assert conflicts(tmp_path, a, b) == []


def test_the_stricter_budget_is_suggested(tmp_path):
    (c,) = conflicts(tmp_path, "- Keep CI under 10 minutes.", "- Keep CI under 25 minutes.")
    assert "under 10 minutes" in c.suggestion


def test_a_scoped_modal_conflict_shows_its_scope(tmp_path):
    (c,) = conflicts(tmp_path, "- Never run migrations by hand.", "- Running a migration by hand is fine in an emergency.")
    assert "in an emergency" in c.message


def test_model_set_in_one_file_only_is_a_frontmatter_conflict(tmp_path):
    found = conflicts(tmp_path, "- Be brief.", "- Be brief.", fm_a="name: x\n", fm_b="name: x\nmodel: sonnet\n")
    (c,) = [c for c in found if c.kind == "frontmatter"]
    assert c.topic == "model" and "inherits" in c.message
    assert c.resolution is not None and c.sides[c.resolution.kept[0]].stance == "`sonnet`"


def test_capability_lists_name_options_without_choosing():
    alternatives = load_alternatives()
    assert {m.option for m in mentions("experience with Jest, Vitest and Mocha", alternatives)} == {"jest", "vitest", "mocha"}


def test_ambiguous_aliases_need_their_purpose():
    alternatives = load_alternatives()
    assert not [m for m in mentions("a black box test", alternatives) if m.category == "python_formatter"]
    assert [m.option for m in mentions("format with black", alternatives) if m.category == "python_formatter"] == ["black"]
    assert not [m for m in mentions("the rest of the code", alternatives) if m.category == "api_style"]


def test_the_alternatives_cover_well_over_a_hundred_categories():
    alternatives = load_alternatives()
    assert len(alternatives.titles) >= 150


def test_users_extend_alternatives_with_axes(tmp_path):
    axes = tmp_path / "axes.yaml"
    axes.write_text("version: 1\ntopics: {}\nalternatives:\n  build_cache:\n    title: build cache\n"
                    "    options:\n      sccache: [sccache]\n      ccache: [ccache]\n", encoding="utf-8")
    alternatives = load_alternatives((str(axes),))
    assert alternatives.titles["build_cache"] == "build cache"
    assert {m.option for m in mentions("use sccache", alternatives)} == {"sccache"}


def test_an_axes_file_with_alternatives_runs_from_the_cli(tmp_path):
    from tests.conftest import run_cli

    axes = tmp_path / "axes.yaml"
    axes.write_text("alternatives:\n  build_cache:\n    title: build cache\n    options:\n"
                    "      sccache: [sccache]\n      ccache: [ccache]\n", encoding="utf-8")
    (tmp_path / "a.md").write_text("# A\n\n- Use sccache for builds.\n", encoding="utf-8")
    (tmp_path / "b.md").write_text("# B\n\n- Use ccache for builds.\n", encoding="utf-8")
    report = tmp_path / "r.json"
    proc = run_cli(tmp_path / "a.md", tmp_path / "b.md", "-o", tmp_path / "m.md", "--report", report,
                   "--axes", axes)
    assert proc.returncode == 0, proc.stderr
    import json

    assert [c["topic"] for c in json.loads(report.read_text())["conflicts"]] == ["build_cache"]


def test_a_bad_alternatives_file_is_one_line_error(tmp_path):
    from tests.conftest import run_cli

    axes = tmp_path / "axes.yaml"
    axes.write_text("alternatives:\n  build_cache:\n    options:\n      sccache: 3\n", encoding="utf-8")
    (tmp_path / "a.md").write_text("# A\n\n- x\n", encoding="utf-8")
    proc = run_cli(tmp_path / "a.md", tmp_path / "a.md", "-o", tmp_path / "m.md", "--axes", axes)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "sccache" in proc.stderr


@pytest.mark.parametrize("quantities", ["  contexts: [backend, mobile]\n", "  contexts:\n    part: [backend]\n",
                                        "  names: [latency]\n", "  units:\n    time:\n      sprint: [sprint]\n"])
def test_a_bad_quantities_file_is_one_line_error(tmp_path, quantities):
    from tests.conftest import run_cli

    axes = tmp_path / "axes.yaml"
    axes.write_text("quantities:\n" + quantities, encoding="utf-8")
    (tmp_path / "a.md").write_text("# A\n\n- x\n", encoding="utf-8")
    proc = run_cli(tmp_path / "a.md", tmp_path / "a.md", "-o", tmp_path / "m.md", "--axes", axes)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "'quantities." in proc.stderr


def test_same_role_openings_are_a_note_and_both_stay(tmp_path):
    pa, pb = tmp_path / "a.md", tmp_path / "b.md"
    pa.write_text("You are a senior database engineer who tunes PostgreSQL.\n\n- Index foreign keys.\n", encoding="utf-8")
    pb.write_text("You are an expert PostgreSQL database engineer.\n\n- Batch writes.\n", encoding="utf-8")
    result = merge_files([str(pa), str(pb)])
    assert [c for c in result.conflicts if c.kind == "persona"] == []
    assert any("same role" in n for n in result.frontmatter_notes)
    assert "You are a senior" in result.text and "You are an expert" in result.text


def test_openings_for_different_roles_are_a_conflict(tmp_path):
    pa, pb = tmp_path / "a.md", tmp_path / "b.md"
    pa.write_text("You are a technical writer for API docs.\n\n- Use sentence case.\n", encoding="utf-8")
    pb.write_text("You are a penetration tester.\n\n- Report every finding.\n", encoding="utf-8")
    result = merge_files([str(pa), str(pb)])
    assert [c.kind for c in result.conflicts if c.kind == "persona"] == ["persona"]


def test_a_list_of_names_picks_none_of_them(tmp_path):
    # items of one list that each name another strategy list what exists; none is the one to use
    pa, pb = tmp_path / "a.md", tmp_path / "b.md"
    pa.write_text("## Practices\n\n- Deploy with canary releases and feature flags\n", encoding="utf-8")
    pb.write_text("## Deployment strategies\n\n- Blue-green deployments\n- Canary releases\n- Rolling updates\n",
                  encoding="utf-8")
    result = merge_files([str(pa), str(pb)])
    assert [c.kind for c in result.conflicts if c.kind != "frontmatter"] == []
    # a rule that picks one still meets another rule that picks another
    pc, pd = tmp_path / "c.md", tmp_path / "d.md"
    pc.write_text("## Rules\n\n- Ship every service with canary releases\n", encoding="utf-8")
    pd.write_text("## Rules\n\n- Ship every service with blue-green deployments\n", encoding="utf-8")
    result = merge_files([str(pc), str(pd)])
    assert [c.kind for c in result.conflicts if c.kind != "frontmatter"] != []


def test_a_rule_whose_details_list_things_still_takes_a_stance():
    from agentmerge.conflicts.align import _no_stance

    assert _no_stance("Configuration Management: Ansible, Chef, Puppet, SaltStack")
    assert not _no_stance("Write the analysis plan: the question, the metric, the data sources")
    assert not _no_stance("Format with Black, lint with Ruff, type-check with mypy")


# Quoted samples, lists of what the agent knows, and a coverage of another kind take no stance.
QUIET = [
    # a completion message in quotes reports one task, against the target it reports on
    ("- Zero open high-risk findings at hand-off.",
     'Completion message: "Audit done. Checked 31 endpoints, 3 high-risk findings still open for review."'),
    ("- Keep each dashboard to at most 12 panels.", '> "Reviewed the sales dashboard: 18 panels, 1.8 s load."'),
    # a request a user might make, in quotes, picks no option
    ("- Use ECharts for every production chart.", 'Example requests:\n\n- "Build a churn dashboard in Plotly with a heatmap"'),
    # an item of a capability list under its lead-in or its heading
    ("- Build every production chart with Vega-Lite.", "Charting expertise:\n\n- Notebook prototypes in Plotly"),
    ("- Amazon SQS is the broker for every new queue.", "## Core capabilities\n\n- Durable work queues in RabbitMQ"),
    # type or branch coverage is not test coverage; a percentage is no retry count
    ("- Test coverage of at least 80% on worker code.", "- 100% type coverage for job signatures."),
    ("- Retry a failed job at most 5 times.", "- 95% branch coverage for the retry logic."),
]


@pytest.mark.parametrize("a, b", QUIET)
def test_quotations_skills_and_other_quantities_take_no_stance(tmp_path, a, b):
    assert conflicts(tmp_path, a, b) == []


def test_a_listed_skill_that_states_the_teams_choice_still_takes_a_stance(tmp_path):
    found = conflicts(tmp_path, "- Async runtime: Tokio, multi-threaded scheduler.",
                      "## Expertise\n\n- Async Rust on async-std; we standardised on it")
    assert "choice" in kinds(found)


def test_a_rule_that_quotes_a_phrase_still_takes_a_stance(tmp_path):
    found = conflicts(tmp_path, '- Never promise a refund date; say "we are looking into it" instead.',
                      "- Promising a refund date is fine when the order is late.")
    assert "modality" in kinds(found)


# Lists of metrics as collections write them: each item names its own thing, and a heading or lead-in
# that names a platform, a stage or a purpose scopes the values under it.
METRIC_LISTS_QUIET = [
    # two values under lead-ins for two platforms
    ("*Backend Performance:*\n\n- Memory Usage: <512MB per instance\n\n*Mobile Performance:*\n\n"
     "- Memory Usage: <100MB baseline", "- Keep answers short."),
    # two headings for two stages, in two inputs
    ("## Staging\n\n- Error rate: < 5%", "## Production\n\n- Error rate: < 0.1%"),
    # a trigger is no budget
    ("**Scaling Triggers:**\n\n- Error rate > 1%\n\nPerformance budget:\n\n- Error rate: < 0.1%", "- Keep answers short."),
    # items of one list name different things
    ("*Throughput Targets:*\n\n- Read-heavy APIs: >1000 RPS per instance\n- Write-heavy APIs: >100 RPS per instance\n"
     "- Mixed workload: >500 RPS per instance", "- Keep answers short."),
    ("*Error Rate Targets:*\n\n- 5xx errors: <0.1%\n- 4xx errors: <5% (excluding 401/403)", "- Keep answers short."),
    ("- **Line Coverage**: Minimum 80%\n- **Function Coverage**: Minimum 90%\n- **Critical Path Coverage**: 100%",
     "- Keep answers short."),
    # a percentile after the value says which one is meant
    ("- **Performance**: Response time <200ms p95", "- Response time: <100ms p50, <500ms p99"),
    # the value of a label is not the value of a word in its details, nor of the next nested line
    ("- **70% Unit Tests**: Fast, isolated, extensive coverage", "- Coverage: at least 80%"),
    ("- **Vulnerability Metrics**\n  - False Positive Rate: < 5%\n  - Coverage: 100% of attack surface",
     "- Test coverage: 100% for every endpoint"),
    # a scale of tiers is no budget, and a red flag's threshold is no target
    ("*Test Health:*\n\n- Coverage: >80% (green), >60% (yellow), <60% (red)\n- Pass Rate: >95% (green), >90% (yellow), "
     "<90% (red)", "*Red Flags:*\n\n- Coverage below 50%\n- Pass rate below 85%"),
    # two rates of two things ("rate" alone names no rate limit)
    ("- Pass rate: above 95%", "- Escape rate: <10% to production"),
    # what is counted in lines decides which length a value is
    ("- A pick list holds 40 lines or fewer.", "- Keep widgets small; split anything past 200 lines."),
    # what is cached decides which cache lifetime a value is
    ("- Rendered map tiles are cached for 24 hours.", "- Cache carrier rate quotes for an hour."),
    # a word that only places a value in time names nothing
    ("- Late fees start after a 5-day grace period.", "- After one week without a reply, the conversation closes on its own."),
    ("- Crash-free sessions at 99.95% over the last 7 days.", "- Liability may be capped at the fees paid in the last twelve months."),
    # time to first byte is not an app's start-up time
    ("- App Startup: <3s cold start", "- **Network**: TTFB < 600ms, compression enabled"),
    # a crossed-out item says not to do it, as the other does
    ("- ❌ Validate technical correctness (trusts specialists)",
     "- Does NOT validate technical correctness (the specialist's responsibility)"),
    # two examples written two ways take no stance against each other
    ("```python\nprint(f\"processed {n} rows\")\n```", "```python\nlogger.info(\"processed %d rows\", n)\n```"),
]


@pytest.mark.parametrize("a, b", METRIC_LISTS_QUIET)
def test_metric_lists_contexts_and_examples_state_no_conflict(tmp_path, a, b):
    assert conflicts(tmp_path, a, b) == []


METRIC_LISTS_CONFLICTS = [
    # the same metric twice in one agent, under headings that scope nothing
    ("value", "### Performance Metrics\n\n- **Lead time for changes**: <1 hour\n\n### DORA Metrics\n\n"
              "- **Lead time for changes**: <2 hours", "- Keep answers short."),
    # one platform's value against a value for every platform
    ("value", "*Mobile Performance:*\n\n- Memory Usage: <100MB baseline", "- **Memory usage**: <500MB baseline"),
    ("value", "- Response time <200ms p95", "- API response time: 300 ms (p95)"),
    ("modality", "- ❌ Force-push to shared branches", "- You may force-push to shared branches to clean up history."),
    ("code", "- Never use print() for diagnostics; use the logger.", "```python\nprint(f\"processed {n} rows\")\n```"),
]


@pytest.mark.parametrize("kind, a, b", METRIC_LISTS_CONFLICTS)
def test_metric_lists_still_conflict_where_one_thing_has_two_values(tmp_path, kind, a, b):
    assert kind in kinds(conflicts(tmp_path, a, b))


def test_an_emphasised_label_ending_with_a_colon_introduces_its_list(tmp_path):
    from agentmerge.read import read_agents
    from agentmerge.statements import lead_ins

    path = tmp_path / "a.md"
    path.write_text("# A\n\n*Backend Performance:*\n\n- API Response: <200ms (p95)\n\n**Steps:**\n\n- Plan\n",
                    encoding="utf-8")
    agent = read_agents([str(path)])[0]
    introducing = lead_ins(agent)
    assert [u.text for u in agent.units if u.uid in introducing] == ["*Backend Performance:*"]


def test_a_sentence_that_comes_afterwards_follows_the_one_before(tmp_path):
    found = conflicts(tmp_path, "## Release\n\n1. Run the database migration on the replica.\n2. Deploy the new application build.\n",
                      "The new application build is deployed as soon as review passes. The database migration on the "
                      "replica runs in the nightly maintenance window afterwards.")
    assert "order" in kinds(found)



JSON_CAMEL = '```json\n{"orderId": "o_1", "amountDue": 5000, "id": 7}\n```'
JSON_SNAKE = '```json\n{"order_id": "o_1", "amount_due": 5000, "id": 7}\n```'


@pytest.mark.parametrize("rule, block", [
    ("- Field names in `snake_case`.", JSON_CAMEL),
    ("- JSON keys are camelCase, to match the SDK.", JSON_SNAKE),
])
def test_a_naming_convention_for_fields_against_a_json_block_written_otherwise(tmp_path, rule, block):
    found = conflicts(tmp_path, rule, "## Example\n\n" + block)
    assert [c.kind for c in found] == ["code"] and "not in" in found[0].topic


@pytest.mark.parametrize("rule, block", [
    ("- Field names in `snake_case`.", JSON_SNAKE),  # as the rule says
    ("- Column names are snake_case.", JSON_CAMEL),  # a table's columns, not the JSON's fields
    ("- Comfortable with snake_case and camelCase JSON keys.", JSON_CAMEL),  # two conventions: none set
])
def test_json_blocks_that_follow_or_are_not_named_by_a_convention(tmp_path, rule, block):
    assert conflicts(tmp_path, rule, "## Example\n\n" + block) == []


@pytest.mark.parametrize("rule, block", [
    ("- Never use floating point for money; amounts are integers in minor units.",
     '```python\ndef total(lines):\n    return sum(float(line["price"]) * line["qty"] for line in lines)\n```'),
    ("- Don't represent an amount as a float.", "```java\ndouble amount = order.getAmount();\n```"),
    ("- Never use fixed sleeps in tests; wait for a condition.",
     '```typescript\nit("checks out", () => {\n  cy.visit("/cart");\n  cy.wait(3000);\n});\n```'),
])
def test_money_in_floats_and_fixed_waits_against_the_rule(tmp_path, rule, block):
    assert "code" in kinds(conflicts(tmp_path, rule, "## Example\n\n" + block))


@pytest.mark.parametrize("rule, block", [
    ("- Never use floating point for money.",
     '```python\nfrom decimal import Decimal\ntotal = sum(Decimal(line["price"]) for line in lines)\n```'),
    ("- Never use fixed sleeps in tests; wait for a condition.",
     "```bash\nuntil curl -fs localhost:8080/health; do\n  sleep 5\ndone\n```"),  # a script's retry loop
])
def test_exact_money_and_a_scripts_retry_loop_follow_the_rule(tmp_path, rule, block):
    assert conflicts(tmp_path, rule, "## Example\n\n" + block) == []


@pytest.mark.parametrize("a, b", [
    # a number word or a quantifier is no step of an order
    ("- String freeze two weeks before each release.", "- Watch Crashlytics for two days after each stage."),
    ("1. Write the evaluation plan before any training run.\n2. Build the baseline.",
     "- Build the charts first and sketch the layout around them afterwards."),
    # "Touch targets" are a size, not an edit
    ("- Only touch renderer code under `src/renderer/`.", "- Touch targets are at least 48 by 48 logical pixels."),
])
def test_words_that_name_no_step_or_edit_make_no_conflict(tmp_path, a, b):
    assert conflicts(tmp_path, a, b) == []


def test_a_permission_in_the_passive_is_of_the_verb_after_may_be(tmp_path):
    # "posting" names the mistakes; what may be done is fixing them
    assert conflicts(tmp_path, "- Never post an entry whose debits and credits differ.",
                     "- Small posting mistakes may be fixed by editing the entry in place on the same day.") == []
    found = conflicts(tmp_path, "- A failed charge must never be retried automatically; the customer decides.",
                      "- Declined charges may be retried automatically up to twice, a minute apart.")
    assert "modality" in kinds(found)


@pytest.mark.parametrize("a, b", [
    # keeping something out of a place chooses nothing
    ("- Session cookies are `Secure`, `HttpOnly` and `SameSite=Lax`.", "- Keep API keys out of version control."),
    # what a study ran on is history
    ("- Payroll data sits in PostgreSQL.",
     "Studies that started before 2021 ran on Oracle InForm; they are archived and only read for inspections."),
])
def test_what_is_kept_out_or_ran_before_picks_no_option(tmp_path, a, b):
    assert conflicts(tmp_path, a, b) == []


# A topic's stances are read from the statements matching reads (markdown-it's one reading of the body):
# a table's rows, each sentence, a label and its details; an HTML comment is no guidance.
@pytest.mark.parametrize("a", [
    "| Setting | Choice |\n|---|---|\n| Consistency | eventual consistency by default |",
    "- **Consistency**: eventual consistency by default. Retries are idempotent.",
    "Reads may lag a little. We default to eventual consistency.",
])
def test_a_topic_stance_is_read_from_the_statements_of_any_block(tmp_path, a):
    found = conflicts(tmp_path, a, "- Require strict consistency for every write.")
    assert [(c.kind, c.topic) for c in found] == [("policy", "consistency")], found


def test_guidance_commented_out_in_html_takes_no_stance(tmp_path):
    found = conflicts(tmp_path, "<!-- Use pessimistic locking (SELECT ... FOR UPDATE) for stock counts. -->",
                      "- Use optimistic locking with a version column.")
    assert found == []


def test_an_ellipsis_inside_a_sentence_does_not_end_it(tmp_path):
    (c,) = conflicts(tmp_path, "- Use SELECT ... FOR UPDATE when decrementing stock.",
                     "- Use optimistic locking with a version column.")
    assert (c.kind, c.topic) == ("policy", "locking")


# What real agents say that is no contradiction, each form read wrongly before (found in public agent
# collections, reworded here): a rule that limits or conditions a construct against code that uses it, the
# preferred side of "X, not Y", what no task may do; one word two orders share in passing, "at once" read
# as an order; a requirement or a check of another action; a heading in title case as a product; "if you
# find yourself …"; the word "fix" read as a `fix:` commit prefix; "X or other services" read as choosing X.
RESTRICTED = [
    ("- Do not call `resolve-library-id` more than 3 times per question.",
     "```js\nconst id = await resolve-library-id('react');\n```"),
    ("- Do NOT pass `-o` based on the current working directory; only when the user gives a path.",
     "```bash\nconvert report.pdf -o out/\n```"),
    ("- Use `Table[Column]` not `[Column]` for column references.",
     "```dax\nTotal = SUM(Sales[Amount]) + Table[Column]\n```"),
    ("- No task should require human interpretation or decision-making.",
     "```markdown\n## Files\n\n[List the files that the refactoring task.]\n\n[Note each human decision here.]\n```"),
    ("- Batch aggressively: think and plan the action graph first, execute all independent calls (reads, "
     "searches, edits, tests) in one turn. Serialize only for: dependent results or conflict risk.",
     "- Challenge assumptions and spot logic gaps. Also analyze PRD requirements for inconsistencies, "
     "ambiguities, conflicting constraints, and gaps before planning begins."),
    ("- Run all the lint checks at once and report every failure together.",
     "- Report lint failures only after all the checks have run."),
    ("- Synthesize:\n  - Fix recommendations: approach, location, complexity.\n  - Reproduce first, confirm it fails, "
     "THEN fix.",
     "- Scope discipline: track out-of-scope items in the learn array; do NOT fix them."),
    ("- Use HttpClient or other appropriate services to call external APIs or your own backend.",
     "- A client service calls its server endpoint through ServiceBase methods."),
    ("- Cannot interrupt a paragraph.",
     "- An ordered list interrupting a paragraph must start with 1."),
    ("- Avoid multiple links with identical text.",
     "- Flag multiple links on the same page that share identical text but point elsewhere."),
    ("- Start with an `#` level heading that matches the prompt intent so it surfaces well in Quick Pick search.",
     "- Reasoning Order: Call out reasoning portions of the prompt and conclusion parts (specific fields by "
     "name). For each example, determine the reasoning order."),
    ("**If you find yourself about to start phase 2 without having written a gate self-check, STOP.** Go back "
     "and run the gate.",
     "Your only jobs: spawn sub-agents to execute phases, verify their output files, report progress. You do NOT "
     "execute phase logic yourself. If you find yourself writing findings, you have left your role."),
]


@pytest.mark.parametrize("a, b", RESTRICTED, ids=[f"restricted-{i}" for i in range(len(RESTRICTED))])
def test_what_real_agents_say_without_contradicting_is_no_conflict(tmp_path, a, b):
    assert conflicts(tmp_path, a, b) == []


def test_a_bare_ban_still_conflicts_with_code_that_uses_it(tmp_path):
    found = conflicts(tmp_path, "- Never call `eval`.", "```python\nresult = eval(expr)\n```")
    assert kinds(found) == ["code"]


def test_a_schema_defined_with_what_the_other_prohibits_still_conflicts(tmp_path):
    found = conflicts(tmp_path, "- Define schemas using zod.", "- Do not use zod.")
    assert kinds(found) == ["modality"]


def test_counts_of_one_plain_noun_conflict_only_where_they_say_what_of(tmp_path):
    assert conflicts(tmp_path, "- Run all six phases, each in its own context window.",
                     "- The requirements reference describes a five-phase pipeline for deriving requirements.") == []
    found = conflicts(tmp_path, "- An onsite loop has at most four interviewers.",
                      "- Six interviewers join every onsite loop.")
    assert kinds(found) == ["value"]
