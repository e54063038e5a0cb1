"""The taxonomy editor: CX ops' web page for the topics (`pulse topics edit`).

An entry point, like the CLI: it may import any layer. The edits themselves live in
`pulse.topics.edits`, shared with `pulse topics …`, so this package only shows and asks.
"""

from pulse.editor.app import create_app, serve_editor

__all__ = ["create_app", "serve_editor"]
