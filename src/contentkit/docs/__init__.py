"""Static documentation site of a content pack: HTML pages that work from `file://`, the same
pages as Markdown, an ATT&CK coverage matrix and an ATT&CK Navigator layer.

`generate.build_docs` writes the site; `results.load_results` reads `contentkit test --json`.
"""
