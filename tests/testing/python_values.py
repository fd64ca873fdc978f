"""What Python itself makes of the values `proactive prompts import` reads (test support).

Reads a JSON job on stdin: {"dir": DIR, "lookups": [{"id", "file", and one of
"constant" (+ "key"), "fn" + "assigned" (+ "key"), "fn" + "dictKey"}, "values": {...}}]}
and prints {id: value} (or {id: {"error": text}}), each value computed by Python: a
module constant by running the module's top-level assignments (`json` imported), a value
inside a function by evaluating its expression with the module's constants and the
lookup's "values" as the variables, `ast.literal_eval` where the expression is a literal.
"""
import ast
import json
import os
import sys


def module_namespace(tree):
    namespace = {"json": json}
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            try:
                exec(compile(ast.Module(body=[node], type_ignores=[]), "<module>", "exec"), namespace)
            except Exception:
                pass
    return namespace


def function(tree, name):
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            return node
    raise LookupError(f"no function {name}")


def in_source_order(tree):
    nodes = [n for n in ast.walk(tree) if hasattr(n, "lineno")]
    return sorted(nodes, key=lambda n: (n.lineno, n.col_offset))


def evaluate(node, namespace, values):
    try:
        return ast.literal_eval(node)
    except ValueError:
        return eval(compile(ast.Expression(body=node), "<value>", "eval"), dict(namespace), dict(values))


def target_matches(target, name, key):
    if key is None:
        return isinstance(target, ast.Name) and target.id == name
    return (isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name)
            and target.value.id == name and isinstance(target.slice, ast.Constant)
            and target.slice.value == key)


def lookup(job, item):
    with open(os.path.join(job["dir"], item["file"]), encoding="utf-8-sig") as f:
        tree = ast.parse(f.read())
    namespace = module_namespace(tree)
    values = item.get("values", {})
    if "constant" in item:
        value = namespace[item["constant"]]
        return value[item["key"]] if "key" in item else value
    body = function(tree, item["fn"])
    if "dictKey" in item:
        for node in in_source_order(body):
            if isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values):
                    if isinstance(key, ast.Constant) and key.value == item["dictKey"]:
                        return evaluate(value, namespace, values)
        raise LookupError(f"no dict has {item['dictKey']}")
    found = None
    for node in in_source_order(body):
        if isinstance(node, ast.Assign) and any(
                target_matches(t, item["assigned"], item.get("key")) for t in node.targets):
            found = node
    if found is None:
        raise LookupError(f"nothing assigned to {item['assigned']}")
    return evaluate(found.value, namespace, values)


def main():
    job = json.load(sys.stdin)
    out = {}
    for item in job["lookups"]:
        try:
            out[item["id"]] = lookup(job, item)
        except Exception as error:  # the test shows what Python said
            out[item["id"]] = {"error": f"{type(error).__name__}: {error}"}
    json.dump(out, sys.stdout)


main()
