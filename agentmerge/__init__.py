"""agentmerge: merge and deduplicate AI agent definitions.

The library is usable on its own:

    from agentmerge import merge_files
    result = merge_files(["a.md", "b.md"])
    print(result.text)                 # the merged agent
    from agentmerge.report import to_json
    to_json(result)["conflicts"]       # the report, as the CLI writes it
"""

__version__ = "0.1.0"

from .model import AgentmergeError, MergeOptions, MergeResult  # noqa: E402
from .pipeline import merge, merge_files  # noqa: E402
from .read import parse_agent, read_agents  # noqa: E402

__all__ = ["AgentmergeError", "MergeOptions", "MergeResult", "merge", "merge_files", "parse_agent", "read_agents",
           "__version__"]
