"""`python -m bot` is the same as `tuoguan`."""

from bot.cli import main

raise SystemExit(main())
