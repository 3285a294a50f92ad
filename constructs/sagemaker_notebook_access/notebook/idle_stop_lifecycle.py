"""The OnStart lifecycle script that installs the idle auto-stop checker on a notebook instance,
and the lifecycle configuration that carries it (one per stack and idle time).

The checker (``runtime/idle_stop.py``) travels inside the script, so booting needs no download:
gzipped and base64-encoded, since SageMaker caps the script at 16 KiB of base64 and the
checker verbatim took 16,236 of the 16,384 characters (compressed: 9,716).
"""

from __future__ import annotations

import base64
import gzip
from pathlib import Path

from aws_cdk import Fn, Token
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from ..limits import NOTEBOOK_LOG_GROUP
from ..singleton import stack_singleton

# The checker is runtime code (it runs on the notebook), kept with the other runtimes.
CHECKER_SOURCE = Path(__file__).resolve().parent.parent / "runtime" / "idle_stop.py"
CHECKER_PATH = "/usr/local/bin/sagemaker-idle-stop.py"
LOG_FILE = "/var/log/jupyter.log"
CHECK_EVERY_MINUTES = 5
# SageMaker's limit on a lifecycle script's Content, which is the base64 text.
CONTENT_MAX_CHARS = 16384
_END = "IDLE_STOP_PY_EOF"

# Who runs the checker. It needs nothing root has: it reads Jupyter's API on localhost and
# the instance metadata file, and stops the instance with the notebook role's credentials
# from IMDS, which every notebook user already holds. Running it as root would hand root
# to that user if any code they can write ran in the job (an interpreter under /home, a
# .pth file), which would undo RootAccess=Disabled; as ec2-user, the worst a user can do
# is break their own idle stop, which is cost control, not a security boundary.
RUN_AS_USER = "ec2-user"
# The user's Jupyter environment has boto3; /usr/bin/python3 (root-owned) may not, and then
# the checker stops the instance with the AWS CLI.
JUPYTER_PYTHON = "/home/ec2-user/anaconda3/envs/JupyterSystemEnv/bin/python"
SYSTEM_PYTHON = "/usr/bin/python3"
CRON_FILE = "/etc/cron.d/sagemaker-idle-stop"
UNIT_DIR = "/etc/systemd/system/"

# Runs as root before Jupyter starts, with PATH=/sbin:bin:/usr/sbin:/usr/bin, and must end
# within 5 minutes: it writes root-owned files and probes one interpreter (60 s cap).
# Source: "Customize a SageMaker notebook instance using an LCC script", SageMaker developer
# guide (scripts run as root, PATH as above, 5-minute limit).
# Every process it starts from a path a notebook user can write runs as that user, through
# runuser(1) (util-linux, on Amazon Linux 2 and 2023): root only runs root-owned files.
# runuser lives in /usr/sbin, which the script's PATH has and cron's (PATH=/usr/bin:/bin,
# crontab(5)) does not; systemd before v239 takes only absolute ExecStart= paths
# (systemd.service(5)). So the installed lines name it by the absolute path the script
# finds, and every other program in them by an absolute path too.
# The root volume is fresh on every start (only /home/ec2-user/SageMaker persists), so the
# files are written anew each time and nothing older needs removing.
# The interpreter runs as ec2-user in isolated mode (-I: no PYTHON* variables, no user
# site); Jupyter's environment has boto3 and is probed as ec2-user, never as root. Cron gets
# a root-owned system crontab (user field root, which only starts runuser), not a per-user
# crontab ec2-user could edit; output is appended by root's shell. Amazon Linux 2023 may
# come without cron: a systemd timer does the same job. (These notes live here, not in the
# script, because SageMaker caps the script at 16 KiB of base64.)
_ON_START = """#!/bin/bash
# Idle auto-stop (sagemaker-notebook-access): every {every} minutes, stop this notebook
# instance once Jupyter has had no kernel or terminal activity for {minutes} minutes.
# The checker is root-owned, outside /home, and runs as {user}, never as root.
set -euo pipefail
umask 022
CHECKER={checker}
mkdir -p "$(dirname "$CHECKER")"
base64 -d <<'{end}' | gzip -dc > "$CHECKER"
{source}{end}
chown root:root "$CHECKER"
chmod 0755 "$CHECKER"
PYTHON={system_python}
JUPYTER_PYTHON={jupyter_python}
RUNUSER=$(command -v runuser)
if [ -x "$JUPYTER_PYTHON" ] &&
   "$RUNUSER" -u {user} -- timeout 60 "$JUPYTER_PYTHON" -I -c "import boto3" >/dev/null 2>&1; then
  PYTHON="$JUPYTER_PYTHON"
fi
# SageMaker's notebook log group exists before this script ends, so before InService.
"$RUNUSER" -u {user} -- timeout 60 "$PYTHON" -I "$CHECKER" --ensure-log-group {log_group} ||
  echo "idle-stop: could not create log group {log_group}" >&2
RUN="$RUNUSER -u {user} -- $PYTHON -I $CHECKER --idle-minutes {minutes}"
if command -v crontab >/dev/null 2>&1; then
  printf '*/{every} * * * * root %s >> {log} 2>&1\\n' "$RUN" > {cron_file}
  chown root:root {cron_file}
  chmod 0644 {cron_file}
  systemctl enable --now crond >/dev/null 2>&1 || true
  echo "idle-stop: cron runs $RUN every {every} minutes"
else
  UNIT={unit_dir}sagemaker-idle-stop
  printf '[Service]\\nType=oneshot\\nExecStart=%s\\n' "$RUN" > "$UNIT.service"
  printf 'StandardOutput=append:{log}\\nStandardError=append:{log}\\n' >> "$UNIT.service"
  printf '[Timer]\\nOnCalendar=*:0/{every}\\n[Install]\\nWantedBy=timers.target\\n' > "$UNIT.timer"
  chown root:root "$UNIT.service" "$UNIT.timer"
  chmod 0644 "$UNIT.service" "$UNIT.timer"
  systemctl daemon-reload
  systemctl enable --now sagemaker-idle-stop.timer
  echo "idle-stop: systemd timer runs $RUN every {every} minutes"
fi
"""


def on_start_script(idle_minutes: int | str) -> str:
    """The script, with the checker embedded; ``idle_minutes`` may be a token."""
    return _ON_START.format(
        every=CHECK_EVERY_MINUTES,
        minutes=Token.as_string(idle_minutes)
        if Token.is_unresolved(idle_minutes)
        else idle_minutes,
        checker=CHECKER_PATH,
        log=LOG_FILE,
        user=RUN_AS_USER,
        jupyter_python=JUPYTER_PYTHON,
        system_python=SYSTEM_PYTHON,
        cron_file=CRON_FILE,
        unit_dir=UNIT_DIR,
        log_group=NOTEBOOK_LOG_GROUP,
        end=_END,
        source=embedded_checker(),
    )


def embedded_checker() -> str:
    """The checker gzipped (mtime 0: the same bytes on every synth), in base64 lines.

    The base64 alphabet has no "_", so no line can be the heredoc terminator.
    """
    packed = gzip.compress(CHECKER_SOURCE.read_bytes(), compresslevel=9, mtime=0)
    return base64.encodebytes(packed).decode("ascii")


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


def idle_stop_lifecycle_config(
    scope: Construct, idle_timeout_minutes: int
) -> sagemaker.CfnNotebookInstanceLifecycleConfig:
    """One lifecycle config per stack and idle time, shared by every notebook that uses it.

    The script embeds the checker (about 10 KB of base64, gzipped); one copy per notebook
    would cost a fleet that much template per notebook against CloudFormation's 1 MB.
    The script reads the notebook's own name from the instance metadata, so sharing is
    safe.
    """
    if Token.is_unresolved(idle_timeout_minutes):
        return sagemaker.CfnNotebookInstanceLifecycleConfig(
            scope, "IdleStop", on_start=[_on_start_hook(idle_timeout_minutes)]
        )
    return stack_singleton(
        scope,
        f"NotebookIdleStop{idle_timeout_minutes}Minutes",
        sagemaker.CfnNotebookInstanceLifecycleConfig,
        lambda stack, id: sagemaker.CfnNotebookInstanceLifecycleConfig(
            stack, id, on_start=[_on_start_hook(idle_timeout_minutes)]
        ),
    )


def _on_start_hook(
    idle_timeout_minutes: int,
) -> sagemaker.CfnNotebookInstanceLifecycleConfig.NotebookInstanceLifecycleHookProperty:
    return sagemaker.CfnNotebookInstanceLifecycleConfig.NotebookInstanceLifecycleHookProperty(
        content=on_start_content(idle_timeout_minutes)
    )
