/** The root message's Roll back button: restores the revision before the rollout, after a confirm. */
import type { Button } from '@slack/types';
import type { Diagnosis } from '../../domain/types.ts';
import { ACTION_IDS } from '../action-ids.ts';
import { LIMITS } from '../limits.ts';
import { truncate } from '../mrkdwn.ts';

const plain = (text: string) => ({ type: 'plain_text' as const, text, emoji: true });

/** The button, when the diagnosis is a deploy regression with a known previous revision. */
export function rolloutUndoButton(d: Diagnosis, planId: string): Button | undefined {
  if (d.cause !== 'deploy_regression') return undefined;
  const previous = d.actions.find((a) => a.kind === 'rollback_deploy')?.rollbackTarget?.previous;
  if (!previous || d.target.workload.kind !== 'Deployment') return undefined;
  const w = d.target.workload;
  const images = d.rollout?.from.images.join(', ');
  const text = [
    `Restore the pod template of deployment/${w.name} in ${d.target.namespace} from revision ${previous.revision} (ReplicaSet ${previous.replicaSet}${images ? `, ${images}` : ''}), as kubectl rollout undo does.`,
    'A dry run goes first; the rollout is watched and can itself be rolled back.',
  ].join('\n');
  return {
    type: 'button',
    text: plain('Roll back'),
    action_id: ACTION_IDS.rolloutUndo,
    value: planId,
    style: 'primary',
    confirm: {
      title: plain('Roll back this rollout?'),
      text: { type: 'plain_text', text: truncate(text, LIMITS.confirmText) },
      confirm: plain('Roll back'),
      deny: plain('Cancel'),
    },
  };
}
