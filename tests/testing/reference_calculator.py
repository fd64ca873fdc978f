# The reference's agent-performance rules (README, "Coming from the reference"), in the
# tests' own Python: reads judged model folders and a splits.json, prints the CSV pandas'
# to_csv(index=False) would write (floats as repr, ints as ints). Usage:
#   python3 reference_calculator.py SPLITS.json MODEL_DIR
import json
import os
import sys

EPS = 1e-8


def scores(events):
    tp = tn = fp = fn = proposed = accepted = 0
    for event in events:
        if len(event.get("agent_response", [])) > 0:
            for pred, judge in zip(event["agent_response"], event["judgement"]):
                if pred is not None:
                    proposed += 1
                    if judge:
                        accepted += 1
                        tp += 1
                    else:
                        fp += 1
                else:
                    if judge:
                        tn += 1
                    else:
                        fn += 1
    recall = tp / (tp + fn + EPS)
    precision = tp / (tp + fp + EPS)
    accuracy = (tp + tn) / (tp + tn + fp + fn + EPS)
    false_alarm = fp / (tp + fp + EPS)
    accept = accepted / (proposed + EPS)
    f1 = 2 * (precision * recall) / (precision + recall + 1e-8)
    return [recall, precision, accuracy, false_alarm, f1, accept, len(events)]


splits = json.load(open(sys.argv[1]))
lines = ["Category,Recall,Precision,Accuracy,False-Alarm,F1-Score,Accept Rate,Total Events"]
for name, cfg in splits.items():
    datas = []
    try:
        for f in cfg["files"]:
            with open(os.path.join(sys.argv[2], f)) as fh:
                datas.extend(json.load(fh))
    except Exception:
        continue
    row = scores(datas)
    lines.append(",".join([name] + [repr(x) for x in row[:-1]] + [str(row[-1])]))
sys.stdout.write("\n".join(lines) + "\n")
