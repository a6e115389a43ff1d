from dance2music.cli import main

raise SystemExit(main())
