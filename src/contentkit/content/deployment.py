"""The deployment a detection or baseline really gets: the one for its type in deployments/,
overridden by the object's own `deployment:` block."""

from __future__ import annotations

from dataclasses import dataclass

from contentkit.content.model import Baseline, Deployment, Detection, Notable, Scheduling, truthy


@dataclass
class Schedule:
    cron_schedule: str
    earliest_time: str
    latest_time: str
    schedule_window: str
    disabled: bool
    rba: bool
    notable: Notable | None
    email: dict[str, str] | None


def schedule_for(obj: Detection | Baseline, deployment: Deployment | None) -> Schedule:
    """The deployment of the object's type, overridden by the object's own `deployment:` block."""
    base = deployment.scheduling if deployment else Scheduling("0 * * * *", "-70m@m", "-10m@m")
    override = obj.deployment_override
    sched = dict(override.get("scheduling") or {})
    actions = override.get("alert_action")
    notable = deployment.notable if deployment else None
    rba = deployment.rba if deployment else False
    email = deployment.email if deployment else None
    if actions is not None:
        rba = truthy((actions.get("rba") or {}).get("enabled", False))
        raw = actions.get("notable")
        notable = (
            Notable(
                raw.get("rule_title", "%name%"),
                raw.get("rule_description", "%description%"),
                tuple(raw.get("nes_fields") or ()),
            )
            if raw is not None
            else None
        )
        email = dict(actions["email"]) if actions.get("email") else None
    return Schedule(
        cron_schedule=sched.get("cron_schedule", base.cron_schedule),
        earliest_time=sched.get("earliest_time", base.earliest_time),
        latest_time=sched.get("latest_time", base.latest_time),
        schedule_window=str(sched.get("schedule_window", base.schedule_window)),
        disabled=bool(override.get("disabled", deployment.disabled if deployment else True)),
        rba=rba,
        notable=notable,
        email=email,
    )
