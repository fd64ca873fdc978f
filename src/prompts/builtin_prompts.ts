/**
 * The built-in prompt set: proactive's own texts, role by role (the schema is in
 * `prompt_roles.ts`). The texts live in their role modules; this table only gathers them,
 * so what the stages sent before prompt sets existed is what they send now, byte for byte
 * (tests/testdata/prompts/builtin_messages.json pins it).
 *
 * @module
 */
import {
  AGENT_ACT_FORMAT,
  AGENT_ACT_INSTRUCTIONS,
  AGENT_OPERATIONS_EVENT,
  AGENT_RETRY_INSTRUCTIONS,
  AGENT_STEP_INSTRUCTIONS,
  AGENT_SYSTEM_PROMPT,
} from "./agent_prompts.ts";
import {
  ANSWER_FORMAT,
  ENVIRONMENT_INSTRUCTIONS,
  ENVIRONMENT_SYSTEM_PROMPT,
  EVENTS_FORMAT,
  SETUP_FORMAT,
} from "./environment_prompts.ts";
import {
  CONSISTENCY_INSTRUCTION,
  CONSISTENCY_SYSTEM_PROMPT,
  EXPLAIN_TEXTS,
  REWARD_INSTRUCTION,
  REWARD_SYSTEM_PROMPT,
} from "./reward_prompts.ts";
import {
  AGENT_OPS_INSTRUCTION,
  DESCRIBE_SCENE_INSTRUCTION,
  ENTITIES_INSTRUCTION,
  EVENTS_INSTRUCTION,
  SCENE_LIST_REPAIR,
  SCENES_SYSTEM_PROMPT,
  STRUCTURE_INSTRUCTION,
  TASKS_AND_USERS_INSTRUCTION,
} from "./scenes_prompts.ts";
import { USER_SYSTEM_PROMPT, USER_TEXTS } from "./user_prompts.ts";

/** Role → field → built-in value. Roles with a fallback (eval_agent) leave theirs out. */
export const BUILTIN_PROMPTS = {
  scenes: {
    system: SCENES_SYSTEM_PROMPT,
    step1: DESCRIBE_SCENE_INSTRUCTION,
    step2: TASKS_AND_USERS_INSTRUCTION,
    step3: ENTITIES_INSTRUCTION,
    step4: AGENT_OPS_INSTRUCTION,
    step5: EVENTS_INSTRUCTION,
    step6: STRUCTURE_INSTRUCTION,
    repair: SCENE_LIST_REPAIR,
  },
  environment: {
    system: ENVIRONMENT_SYSTEM_PROMPT,
    ...ENVIRONMENT_INSTRUCTIONS,
    setup_format: SETUP_FORMAT,
    answer_format: ANSWER_FORMAT,
    events_format: EVENTS_FORMAT,
  },
  user: { system: USER_SYSTEM_PROMPT, ...USER_TEXTS },
  agent: {
    system: AGENT_SYSTEM_PROMPT,
    step_instruction: AGENT_STEP_INSTRUCTIONS,
    retry_instruction: AGENT_RETRY_INSTRUCTIONS,
    operations_event: AGENT_OPERATIONS_EVENT,
    act_instruction: AGENT_ACT_INSTRUCTIONS,
    act_format: AGENT_ACT_FORMAT,
  },
  eval_agent: {},
  reward: { system: REWARD_SYSTEM_PROMPT, instruction: REWARD_INSTRUCTION },
  reward_explain: { ...EXPLAIN_TEXTS },
  consistency: { system: CONSISTENCY_SYSTEM_PROMPT, instruction: CONSISTENCY_INSTRUCTION },
} as const;
