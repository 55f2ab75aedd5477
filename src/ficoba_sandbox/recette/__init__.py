"""Recette fonctionnelle: judge a client's acceptance run from the audit journal, and report.

- `criteria`: the criteria, evaluated from journal rows (pure: no FastAPI, no I/O);
- `collect`: gathers the inputs from a state directory (journal, registry, drill plan, server info);
- `server_info`: what the report's header says about the server (written when a sandbox starts);
- `render`: the report as JSON, Markdown and self-contained HTML, in French (default) or English.

The drills that shape a run live with the QA toolkit (`qa/drills.py`).
"""
