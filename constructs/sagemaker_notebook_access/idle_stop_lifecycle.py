"""The OnStart lifecycle script that installs the idle auto-stop checker on a notebook instance.

The checker (``idle_stop.py``) travels inside the script, so booting needs no download.
"""

from __future__ import annotations

import base64
from pathlib import Path

from aws_cdk import Fn, Token

CHECKER_SOURCE = Path(__file__).with_name("idle_stop.py")
CHECKER_PATH = "/usr/local/bin/sagemaker-idle-stop.py"
LOG_FILE = "/var/log/jupyter.log"
CHECK_EVERY_MINUTES = 5
# SageMaker's limit on a lifecycle script's Content, which is the base64 text.
CONTENT_MAX_CHARS = 16384
_END = "IDLE_STOP_PY_EOF"

# Runs as root before Jupyter starts, with PATH=/sbin:bin:/usr/sbin:/usr/bin, and must end
# within 5 minutes: it only writes files and probes two interpreters (60 s cap each).
_ON_START = """#!/bin/bash
# Idle auto-stop (sagemaker-notebook-access): every {every} minutes, stop this notebook
# instance once Jupyter has had no kernel or terminal activity for {minutes} minutes.
set -euo pipefail
CHECKER={checker}
mkdir -p "$(dirname "$CHECKER")"
cat > "$CHECKER" <<'{end}'
{source}{end}
chmod 0755 "$CHECKER"
# The checker needs only the standard library; it stops the instance with boto3 where
# the interpreter has it (Jupyter's own environment does), else with the AWS CLI.
PYTHON=""
for py in /home/ec2-user/anaconda3/envs/JupyterSystemEnv/bin/python /usr/bin/python3; do
  if [ -x "$py" ] && timeout 60 "$py" -c "import boto3" >/dev/null 2>&1; then
    PYTHON="$py"; break
  fi
done
RUN="${{PYTHON:-/usr/bin/python3}} $CHECKER --idle-minutes {minutes}"
if command -v crontab >/dev/null 2>&1; then
  (crontab -l 2>/dev/null | grep -v -F "$CHECKER" || true
   echo "*/{every} * * * * $RUN >> {log} 2>&1") | crontab -
  systemctl enable --now crond >/dev/null 2>&1 || true
  echo "idle-stop: cron runs $RUN every {every} minutes"
else
  # Amazon Linux 2023 may come without cron: a systemd timer does the same job.
  UNIT=/etc/systemd/system/sagemaker-idle-stop
  printf '[Service]\\nType=oneshot\\nExecStart=%s\\n' "$RUN" > "$UNIT.service"
  printf 'StandardOutput=append:{log}\\nStandardError=append:{log}\\n' >> "$UNIT.service"
  printf '[Timer]\\nOnCalendar=*:0/{every}\\n[Install]\\nWantedBy=timers.target\\n' > "$UNIT.timer"
  systemctl daemon-reload
  systemctl enable --now sagemaker-idle-stop.timer
  echo "idle-stop: systemd timer runs $RUN every {every} minutes"
fi
"""


def on_start_script(idle_minutes: int | str) -> str:
    """The script, with the checker embedded verbatim; ``idle_minutes`` may be a token."""
    source = CHECKER_SOURCE.read_text(encoding="utf-8")
    if _END in source.splitlines():
        raise ValueError(f"{CHECKER_SOURCE} contains the heredoc terminator {_END}")
    return _ON_START.format(
        every=CHECK_EVERY_MINUTES,
        minutes=Token.as_string(idle_minutes)
        if Token.is_unresolved(idle_minutes)
        else idle_minutes,
        checker=CHECKER_PATH,
        log=LOG_FILE,
        end=_END,
        source=source if source.endswith("\n") else source + "\n",
    )


def on_start_content(idle_minutes: int | str) -> str:
    """The lifecycle hook's Content: the script in base64, as SageMaker requires.

    A literal is encoded here, so the template holds exactly what SageMaker receives and its
    size is checked at synth; a token (a CloudFormation parameter) is encoded by Fn::Base64.
    """
    script = on_start_script(idle_minutes)
    if Token.is_unresolved(script):
        return Fn.base64(script)
    content = base64.b64encode(script.encode("utf-8")).decode("ascii")
    if len(content) > CONTENT_MAX_CHARS:
        raise ValueError(
            f"idle auto-stop script is {len(content)} base64 characters; "
            f"SageMaker allows {CONTENT_MAX_CHARS}"
        )
    return content
