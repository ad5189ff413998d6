"""`python -m bot` is the same as `tuoguan`."""

from bot.cli.main import main

raise SystemExit(main())
