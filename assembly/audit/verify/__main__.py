"""``python -m assembly.audit.verify BUNDLE``: the verifier without the application's CLI."""

from assembly.audit.verify.cli import main

raise SystemExit(main())
