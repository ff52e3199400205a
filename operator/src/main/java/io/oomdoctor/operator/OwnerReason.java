package io.oomdoctor.operator;

/** How the workload behind a pod was (or was not) resolved from live objects. */
public enum OwnerReason {
  /** Every owner hop matched by UID and selects the pod. */
  Resolved,
  /** The pod has no controller: it is its own workload (never patched). */
  BarePod,
  /** An owner named in the chain does not exist. */
  OwnerGone,
  /** An owner of that name exists with another UID than the reference names. */
  OwnerUidMismatch,
  /** The owner's selector does not select the pod. */
  SelectorMismatch,
  /** A chain Kubernetes' controllers never make (a pod owned by a Deployment directly). */
  UnexpectedOwner
}
