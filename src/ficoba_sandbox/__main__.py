from ficoba_sandbox.cli import main

raise SystemExit(main())
