import sys

from autopilot_reports.cli.main import main

sys.exit(main())
