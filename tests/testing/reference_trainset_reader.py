"""Reads gym logs by the rules of the reference's dataset/build_agent_trainset.py (test support).

Written for proactive's tests; it follows what that script does with a folder of logs,
without a model: every `scene*.jsonl` file is read as JSON lines; records whose tags hold
`agent.response` give their content, parsed, as a sample; the records kept for the replay
are those tagged `events` and the agent's (`ProactiveAgent`) `agent.proactive` ones. Walking
them in order with a conversation that starts with a system message:
- an event becomes a user message `{"Instructions": …, "Observations": {"Time", "Event"}}`
  (JSON text) and the script would ask its model here: its first step measures the
  conversation (`len(content)` of every message, as its cut_messages does), then, with no
  model to answer, the attempt gives nothing and the message is rewritten to the
  observation alone;
- the agent's record is the assistant answer (its content as written): it replaces a
  trailing assistant message or is appended after a user one, and the user message before
  it is rewritten to `{"Instructions": …, "Observations": <that observation>}` (JSON
  loaded back from the text); each such answer is one sample.
Prints {"samples": N, "errors": [...]} (an error is what the script would have raised).
"""
import glob
import json
import os
import sys


def measure(messages):
    # What the script's cut_messages does first: the length of every message's content.
    return sum(len(m["content"]) for m in messages)


def replay(records, samples):
    conversation = [{"role": "system", "content": "system"}]
    step = {"Instructions": "step"}
    for record in records:
        if record["source"] == "ProactiveAgent":
            answer = {"role": "assistant", "content": record["content"]}
            if conversation[-1]["role"] == "assistant":
                conversation[-1] = answer
            elif conversation[-1]["role"] == "user":
                conversation.append(answer)
            else:
                continue
            sample = [dict(m) for m in conversation]
            sample[-2]["content"] = json.dumps({**step, "Observations": json.loads(sample[-2]["content"])})
            measure(sample)
            samples.append(sample)
        else:
            observation = {"Time": record["time"], "Event": record["content"]}
            conversation.append({"role": "user", "content": json.dumps({**step, "Observations": observation})})
            measure(conversation)
            conversation[-1]["content"] = json.dumps(json.loads(conversation[-1]["content"])["Observations"])


def main(folder):
    samples, errors = [], []
    for path in sorted(glob.glob(os.path.join(folder, "scene*.jsonl"))):
        with open(path, encoding="utf-8") as f:
            data = [json.loads(line) for line in f if line.strip()]
        kept = [r for r in data if "events" in r["tags"]
                or ("agent.proactive" in r["tags"] and r["source"] == "ProactiveAgent")]
        for record in data:
            if "agent.response" in record["tags"]:
                samples.append(json.loads(record["content"]))
        try:
            replay(kept, samples)
        except Exception as error:  # the script prints it and goes on
            errors.append(f"{os.path.basename(path)}: {type(error).__name__}: {error}")
    json.dump({"samples": len(samples), "errors": errors}, sys.stdout)


main(sys.argv[1])
