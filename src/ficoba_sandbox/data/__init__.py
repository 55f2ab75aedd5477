"""The fictitious FICOBA file (docs/data.md), one purpose per module, imports going downwards:

* `model`: the records (Compte, Droit, PersonnePhysique, ...) and their digest text;
* `search`: what a search asks and answers, and the matching rules;
* `store`: the Store, its indexes, lookups and searches;
* `reserved`, `banks`, `tables`: identifier ranges never generated, the banks, the tables the
  generator draws from; `generate`: the seeded generator;
* `personas`: the hand-written records of the persona files;
* `build`: personas + generation -> Store, with the start-up cache;
* `stats`: `data stats` and `data export`.
"""
