"""The files ``harness init`` writes: a working first project, offline from the start."""

from __future__ import annotations

HARNESS_YAML = """\
# The project config: providers, prices and defaults. Keys come only from the environment.
defaults:
  specs: specs                 # where `harness run` and `harness validate` look
  concurrency: 4
  # record_mode: once          # cassettes: record new calls once, replay them after
# providers:
#   mylab:                     # usable as mylab:<model>
#     type: openai             # openai | anthropic | gemini | ollama | llamacpp
#     base_url: http://127.0.0.1:8000/v1
#     api_key_env: MYLAB_API_KEY
"""

TRIAGE_SPEC = """\
# A first spec: route support emails to a team, as JSON, checked per case.
name: triage
description: Route a support email to billing, technical, shipping or account, with a priority.
# local models run on this machine (pip install 'harness[local]'); with a key, add e.g.
# openai:gpt-4o-mini (OPENAI_API_KEY) or anthropic:claude-3-5-haiku-latest
models: [local:smollm2-135m]
params: {temperature: 0, max_tokens: 60}
prompt:
  system: You route customer support emails. Answer with JSON only.
  user: |-
    Email: {{ email }}
    Which team handles it (billing, technical, shipping or account), and how urgent is it
    (1 = today, 3 = this week)?
schema:
  type: object
  properties:
    label: {type: string, enum: [billing, technical, shipping, account]}
    priority: {type: integer, minimum: 1, maximum: 3}
  required: [label, priority]
expect:
  - type: schema-valid
  # `expected_label` in the CSV is {type: equals, field: label, value: <cell>} per case;
  # a spec-level value can also be a template over the case's vars, e.g. "{{ label }}"
cases_file: cases/emails.csv
"""

EMAILS_CSV = """\
id,email,expected_label,expected_priority
double-charge,"I was charged twice for my subscription this month, please fix it.",billing,1
refund,"Please refund my last invoice, I cancelled before renewal.",billing,2
app-crash,"The app crashes every time I open the settings page.",technical,1
login-loop,"I reset my password but the login page keeps sending me back.",account,1
parcel-late,"My parcel was due last Tuesday and tracking has not moved.",shipping,2
wrong-size,"The shoes arrived in the wrong size, how do I exchange them?",shipping,3
change-email,"How do I change the email address on my account?",account,3
export-bug,"Exporting to CSV gives an empty file since the last update.",technical,2
"""

CI_WORKFLOW = """\
# Replays the recorded cassettes on every push: no keys, no network, same answers.
# Record them locally first: harness run --record-mode once, then commit cassettes/.
name: harness
on: [push, pull_request]
jobs:
  evals:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with: {python-version: "3.12"}
      - run: pip install harness       # pin the version you develop with
      - run: harness validate
      - run: harness run --record-mode none --fail-under 0.8
      - uses: actions/upload-artifact@v4
        if: always()
        with: {name: harness-report, path: reports/}
"""

FILES: dict[str, str] = {
    "harness.yaml": HARNESS_YAML,
    "specs/triage.yaml": TRIAGE_SPEC,
    "specs/cases/emails.csv": EMAILS_CSV,
    ".github/workflows/harness.yml": CI_WORKFLOW,
}
"""Relative path -> content of every file ``harness init`` writes."""

IGNORED = "reports/"
"""Added to .gitignore (created if missing): run results are not source."""
