// What a stage does when state cannot answer (Redis down, timed out): its `on_state_error` decides between
// letting the message through and stopping it with STATE_UNAVAILABLE. Either way the backend counts it and
// logs the outage (State.reportFailure), so fail-open never passes silently.
import type { State, FailMode } from '../state/types.js'
import { VendorStatus } from '../smpp/status.js'
import { hit, PASS, type StageResult } from './verdict.js'

export function stateFailure(state: State, stage: string, fail_mode: FailMode, err: unknown): StageResult {
  state.reportFailure(stage, fail_mode, err)
  if (fail_mode === 'open') return PASS
  return hit(`${stage}.state_unavailable`, 'state', VendorStatus.STATE_UNAVAILABLE, 'state backend unavailable')
}
