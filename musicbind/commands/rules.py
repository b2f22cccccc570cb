"""Command line: ``musicbind rules`` lists the rules the documents' sentences state.

For each model: the rules recognised in its input descriptions and the overlay's (name,
statement, the sentence, file:line), then the sentences that look like constraints but
were left alone, so a maintainer can state them in the overlay by hand.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from musicbind.commands.generate import print_problems
from musicbind.commands.registry import RegistryInputs, build_registry_for, registry_inputs


@click.command("rules")
@click.option("--json", "as_json", is_flag=True, help="Print rules and candidates as JSON.")
@registry_inputs
def rules_command(inputs: RegistryInputs, as_json: bool) -> None:
    """List the rules of specs/ (or of PATHS) and the constraint-like sentences left alone."""
    from musicbind.generator.emit.json_schema import rule_statement
    from musicbind.generator.emit.literals import clean_text
    from musicbind.generator.registry.stated_rules import document_rules

    registry = build_registry_for(inputs)
    report: list[dict[str, Any]] = []
    for model in registry.models:
        prose, candidates = document_rules(model.inputs)
        names = {rule.name for rule in model.rules}
        left = [
            {"field": c.field, "sentence": c.sentence, "source": str(c.location)}
            for c in candidates
        ]
        left += [
            {
                "field": p.fields[0],
                "sentence": p.sentence,
                "source": str(p.location),
                "recognised_as": p.name,
            }
            for p in prose
            if p.name not in names
        ]
        report.append(
            {
                "model": model.ref,
                "rules": [
                    {
                        "name": rule.name,
                        "statement": rule_statement(rule, model.inputs),
                        "sentence": rule.sentence,
                        "source": str(rule.location),
                    }
                    for rule in model.rules
                ],
                "left_alone": left,
            }
        )
    if as_json:
        sys.stdout.write(json.dumps({"models": report}, indent=2, ensure_ascii=False) + "\n")
    else:
        print_problems([p for p in registry.problems if p.level.value == "error"])
        _print(report, clean_text)
    if any(p.level.value == "error" for p in registry.problems):
        sys.exit(1)


def _print(report: list[dict[str, Any]], clean: Any) -> None:
    found = sum(len(m["rules"]) for m in report)
    left = sum(len(m["left_alone"]) for m in report)
    click.echo(f"{found} rules, {left} candidate sentences left alone, {len(report)} models")
    for model in report:
        if not model["rules"] and not model["left_alone"]:
            continue
        click.echo(f"\n{model['model']}")
        for rule in model["rules"]:
            click.echo(f"  rule  {rule['name']}: {clean(rule['statement'])}")
            said = f' "{clean(rule["sentence"])}"' if rule["sentence"] else " (overlay)"
            click.echo(f"        {rule['source']}{said}")
        for item in model["left_alone"]:
            why = (
                f" (recognised as {item['recognised_as']}, not applied)"
                if "recognised_as" in item
                else ""
            )
            click.echo(f'  left alone  {item["field"]}: "{clean(item["sentence"])}"{why}')
            click.echo(f"        {item['source']}")
