"""The longest stack name the template can take: the names it derives from it must fit.

Several resources of infra/template.yaml are named ``!Sub ${AWS::StackName}<suffix>``
(CloudFront's function and origin access control, its policies, the HTTP API, the alarms,
the log group). Each kind of name has its own limit; a stack name that overflows one passes
CloudFormation's own check (128 characters) and fails minutes later, half created. So the
limit is computed here from the template's own lines, before anything is sent.

The template is read as text (the deployment has no YAML parser): a resource is a line
``  <LogicalId>:`` at two spaces, its ``Type:`` a line of it, and a derived name a line
``<Property>: !Sub <text with ${AWS::StackName}>`` (or the same with ``!Sub >-`` and the text
on the lines below, which only descriptions use: they have no limit that a name can reach).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

STACK = "${AWS::StackName}"
# (resource type, property) -> the longest value AWS takes. CloudFront functions and origin
# access controls: 64 characters; its policies, a distribution's comment, an HTTP API's
# name: 128; an alarm's name: 255; a log group's name: 512.
LIMITS: dict[tuple[str, str], int] = {
    ("AWS::CloudFront::Function", "Name"): 64,
    ("AWS::CloudFront::OriginAccessControl", "Name"): 64,
    ("AWS::CloudFront::CachePolicy", "Name"): 128,
    ("AWS::CloudFront::OriginRequestPolicy", "Name"): 128,
    ("AWS::CloudFront::ResponseHeadersPolicy", "Name"): 128,
    ("AWS::CloudFront::Distribution", "Comment"): 128,
    ("AWS::ApiGatewayV2::Api", "Name"): 128,
    ("AWS::CloudWatch::Alarm", "AlarmName"): 255,
    ("AWS::Logs::LogGroup", "LogGroupName"): 512,
}
_RESOURCE = re.compile(r"^  ([A-Za-z0-9]+):\s*$")
_TYPE = re.compile(r"^    Type:\s*(\S+)\s*$")
_NAME = re.compile(r"^\s+([A-Za-z]+):\s*!Sub\s+(\S.*?)\s*$")


@dataclass(frozen=True)
class DerivedName:
    logical_id: str
    resource_type: str
    prop: str
    pattern: str  # as written, with ${AWS::StackName}

    @property
    def limit(self) -> int | None:
        return LIMITS.get((self.resource_type, self.prop))

    @property
    def room(self) -> int | None:
        """The longest stack name this name leaves room for (None: no known limit)."""
        if self.limit is None:
            return None
        fixed = len(re.sub(r"\$\{[^}]+\}", "", self.pattern))
        return (self.limit - fixed) // self.pattern.count(STACK)


def derived_names(template: str) -> list[DerivedName]:
    """Every one-line ``!Sub`` of a resource that names the stack."""
    found: list[DerivedName] = []
    resources = False
    logical, kind = "", ""
    for line in template.splitlines():
        if not line.strip():
            continue
        if not line.startswith(" "):
            resources = line.rstrip() == "Resources:"
            continue
        if not resources:
            continue
        if match := _RESOURCE.match(line):
            logical, kind = match.group(1), ""
        elif match := _TYPE.match(line):
            kind = match.group(1)
        elif (match := _NAME.match(line)) and STACK in match.group(2):
            pattern = match.group(2).strip("\"'")
            if not pattern.startswith(">"):
                found.append(DerivedName(logical, kind, match.group(1), pattern))
    return found


def longest_stack_name(template: str) -> tuple[int, DerivedName | None]:
    """The longest stack name every derived name has room for, and the name that sets it
    (None when none does: CloudFormation's own 128)."""
    best: tuple[int, DerivedName | None] = (128, None)
    for name in derived_names(template):
        room = name.room
        if room is not None and room < best[0]:
            best = (room, name)
    return best
