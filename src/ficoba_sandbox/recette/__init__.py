"""Recette fonctionnelle (issue 8): judge a client from the audit journal, drills, reports.

- `criteria`: the criteria, evaluated from journal rows (pure: no FastAPI, no I/O);
- `drills`: the drill plans (`D/recette/drills/<client>.json`) and the ASGI middleware applying them;
- `collect`: gathers the inputs from a state directory (journal, registry, drill plan, server info);
- `render`: the report as JSON, Markdown and self-contained HTML, in French (default) or English.
"""
