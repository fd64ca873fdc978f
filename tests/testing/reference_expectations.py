# What the reference project's scripts would send, computed in Python from the facts
# README's "Coming from the reference" lists (this is the tests' own code: it follows the
# scripts' rules, it is not their text). Reads a JSON job on stdin, prints a JSON answer.
#
#   {"kind": "eval_agent", "texts": {...}, "trace": [...], "answers": [...], "quirks": bool}
#   {"kind": "judge", "texts": {...}, "turns": [...]}                 (requests per proposal)
#   {"kind": "reward", "texts": {...}, "items": [...]}
#   {"kind": "agent_trainset", "texts": {...}, "events": [...], "agent": [...], "reward": [...]}
import json
import re
import sys


def extract_prediction(s):
    if "```json" in s:
        s = re.findall(r"```json\n(.*?)\n```", s, re.DOTALL)[0]
    ret = json.loads(s)
    if ret.get("Proactive Task", None) is None:
        ret["Proactive Task"] = None
    elif ret.get("Proactive Task") == "null":
        ret["Proactive Task"] = None
    if ret.get("Response", None) is not None and ret.get("Response") == "null":
        ret["Response"] = None
    return ret


def reward_messages(texts, obs, task):
    inst = {
        "Observations (Time Ascending)": obs,
        "Proposed Task": task,
        "Instruction": texts["reward_instruction"],
    }
    return [
        {"role": "system", "content": texts["reward_system"]},
        {"role": "user", "content": json.dumps(inst, sort_keys=False, ensure_ascii=False, indent=4)},
    ]


def eval_agent(job):
    texts, answers = job["texts"], iter(job["answers"])
    messages = [{"role": "system", "content": texts["eval_system"]}]
    requests, outputs = [], []
    for turn in job["trace"]:
        event = {"Time": turn["observation"]["time"], "Event": turn["observation"]["event"]}
        messages.append({"role": "user", "content": texts["eval_step"].replace("[placeholder]", json.dumps(event))})
        result = None
        for _ in range(5):
            requests.append({"messages": [dict(m) for m in messages], "temperature": 0.5})
            try:
                result = extract_prediction(next(answers))
                break
            except Exception:
                continue
        if result is None:
            if not job["quirks"]:
                messages[-1]["content"] = json.dumps(event)
            outputs.append(None)
            continue
        outputs.append({
            "agent_response": [] if result["Proactive Task"] is None else [result["Proactive Task"]],
            "other_infomation": {k: v for k, v in result.items() if k != "Proactive Task"},
        })
        messages.append({"role": "assistant", "content": json.dumps(result)})
        messages[-2]["content"] = json.dumps(event)
    return {"requests": requests, "outputs": outputs}


def judge(job):
    requests = []
    turns = job["turns"]
    for idx, turn in enumerate(turns):
        if "agent_response" not in turn:
            continue
        response = turn["agent_response"]
        if response is None or len(response) == 0:
            response = [None]
        obs = [t["observation"] for t in turns[: idx + 1]]
        for pred in response:
            requests.append(reward_messages(job["texts"], obs, pred))
    return {"requests": requests}


def reward(job):
    return {"requests": [reward_messages(job["texts"], item["obs"], item["pred_task"]) for item in job["items"]]}


def cut_messages(messages, max_length=20000, max_agent_response_length=10000):
    cuted = []
    lengths = list(map(lambda x: len(x["content"]), messages[1:]))
    total_length = len(messages[0]["content"])
    agent_response_length = 0
    for length, msg in zip(lengths[::-1], messages[:0:-1]):
        if length + total_length < max_length:
            if msg["role"] == "assistant":
                if length + agent_response_length < max_agent_response_length:
                    agent_response_length += length
                    cuted.append(msg)
                    total_length += length
                else:
                    continue
            else:
                cuted.append(msg)
                total_length += length
        else:
            break
    cuted = cuted[::-1]
    while cuted[0]["role"] != "user":
        cuted.pop(0)
    ret, obs = [], []
    for msg in cuted:
        if msg["role"] == "user":
            obs.append(json.loads(msg["content"]))
        else:
            if len(obs) == 1:
                ret.append({"role": "user", "content": json.dumps(obs[0])})
            elif len(obs) > 1:
                ret.append({"role": "user", "content": json.dumps({"Observations": obs})})
            obs = []
            ret.append(msg)
    if len(obs) == 1:
        ret.append({"role": "user", "content": json.dumps(obs[0])})
    elif len(obs) > 1:
        ret.append({"role": "user", "content": json.dumps({"Observations": obs})})
    ret.insert(0, messages[0])
    return ret


def agent_trainset(job):
    # The fix (not the quirk): every rejection counts as a trial, and a rejected prediction
    # is asked again with the retry message from the next trial on.
    texts = job["texts"]
    agent, rewarded = iter(job["agent"]), iter(job["reward"])
    requests, samples = [], []
    messages = [{"role": "system", "content": texts["agent_system"]}]
    past = []
    for e in job["events"]:
        new_event = {"Time": e["time"], "Event": e["event"]}
        past.append(new_event)
        messages.append({"role": "user", "content": json.dumps({"Instructions": texts["agent_step"], "Observations": new_event})})
        cut = cut_messages([dict(m) for m in messages])
        pred = res = None
        sample = None
        trials = 0
        while trials < job["max_trials"]:
            request = cut
            if pred is not None and res is not None:
                request = cut + [{"role": "user", "content": json.dumps({
                    "Previous Prediction": pred, "Status": "Rejected",
                    "User Feedback": res["thought"], "Instructions": texts["agent_retry"]})}]
            requests.append({"role": "agent", "messages": request, "temperature": 0.8})
            try:
                pred = extract_prediction(next(agent))
            except Exception:
                trials += 1
                continue
            msgs = reward_messages(texts, past, pred["Proactive Task"])
            requests.append({"role": "reward", "messages": msgs, "temperature": 0})
            res = json.loads(next(rewarded))
            if res["judgement"] == "accepted":
                sample = cut + [{"role": "assistant", "content": json.dumps(pred)}]
                break
            trials += 1
        messages[-1]["content"] = json.dumps(new_event)
        if sample is not None:
            samples.append(sample)
            messages.append(sample[-1])
    return {"requests": requests, "samples": samples}


def reward_set(job):
    # build_reward_trainset.py's obtain_reason for each item, one attempt that succeeds.
    texts = job["texts"]
    requests, samples = [], []
    for item, answer in zip(job["items"], job["answers"]):
        inst = {
            "Observations (Time Ascending)": item["obs"],
            "Proposed Task": item["pred_task"],
            "User Judgement": "accepted" if item["valid"] else "rejected",
            "Instruction": texts["explain_instruction"],
        }
        requests.append({"messages": [
            {"role": "system", "content": texts["explain_system"]},
            {"role": "user", "content": json.dumps(inst, sort_keys=False, ensure_ascii=False, indent=4)},
        ]})
        check = {"Thought To Check": json.loads(answer)["thought"], "Instruction": texts["check_instruction"]}
        requests.append({"messages": [
            {"role": "system", "content": texts["check_system"]},
            {"role": "user", "content": json.dumps(check, sort_keys=False, ensure_ascii=False, indent=4)},
        ], "temperature": 0.8, "n": 5})
        samples.append(reward_messages(texts, item["obs"], item["pred_task"]) + [{"role": "assistant", "content": answer}])
    return {"requests": requests, "samples": samples}


job = json.loads(sys.stdin.read())
print(json.dumps({"eval_agent": eval_agent, "judge": judge, "reward": reward, "agent_trainset": agent_trainset, "reward_set": reward_set}[job["kind"]](job)))
