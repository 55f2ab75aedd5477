"""QA toolkit: scenario packs (model, checker) and the replay runner (report, JUnit)."""
