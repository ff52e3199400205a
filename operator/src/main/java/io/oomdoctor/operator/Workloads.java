package io.oomdoctor.operator;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.oomdoctor.model.WorkloadReference;
import java.util.Map;
import java.util.Set;

/**
 * Finds the workload behind a pod (ReplicaSet→Deployment, StatefulSet, DaemonSet, Job→CronJob) and
 * reads or changes its pod template. Only GETs of single objects: the operator watches no pods.
 */
public final class Workloads {
  /** Kinds whose pod template the operator may change; the controller then rolls the pods. */
  public static final Set<String> PATCHABLE =
      Set.of("Deployment", "StatefulSet", "DaemonSet", "CronJob");

  private final KubernetesClient client;

  public Workloads(KubernetesClient client) {
    this.client = client;
  }

  /**
   * The workload behind a live pod, resolved from live objects only: each owner hop is read from
   * the API server and must carry the UID its reference names, and each owner's selector must
   * select the pod (ReplicaSet→Deployment, StatefulSet, DaemonSet, Job→CronJob). Anything else — an
   * owner of another UID, a selector that does not match, a pod owned by a Deployment directly —
   * resolves to no workload, with the reason.
   *
   * @param ref the workload, or null when it could not be vouched for
   * @param object the live workload object (null for kinds the operator does not read)
   */
  public record Owner(
      WorkloadReference ref, HasMetadata object, OwnerReason reason, String detail) {
    static Owner refused(OwnerReason reason, String detail) {
      return new Owner(null, null, reason, detail);
    }
  }

  public Owner resolve(Pod pod) {
    String ns = pod.getMetadata().getNamespace();
    Map<String, String> labels = pod.getMetadata().getLabels();
    OwnerReference o = controller(pod);
    if (o == null) {
      return new Owner(
          new WorkloadReference("v1", "Pod", pod.getMetadata().getName()),
          pod,
          OwnerReason.BarePod,
          "the pod has no controller");
    }
    switch (o.getKind()) {
      case "ReplicaSet" -> {
        ReplicaSet rs = client.apps().replicaSets().inNamespace(ns).withName(o.getName()).get();
        Owner bad = check(o, rs, rs == null ? null : rs.getSpec().getSelector(), labels);
        if (bad != null) {
          return bad;
        }
        OwnerReference up = controller(rs);
        if (up == null) {
          return resolved("apps/v1", rs);
        }
        if (!"Deployment".equals(up.getKind())) {
          if (PATCHABLE.contains(up.getKind())) {
            return Owner.refused(
                OwnerReason.UnexpectedOwner,
                "a ReplicaSet names a "
                    + up.getKind()
                    + " as its controller, which Kubernetes never does; no workload is trusted");
          }
          return new Owner(
              new WorkloadReference(up.getApiVersion(), up.getKind(), up.getName()),
              null,
              OwnerReason.Resolved,
              "a " + up.getKind() + " the operator does not change");
        }
        Deployment d = client.apps().deployments().inNamespace(ns).withName(up.getName()).get();
        bad = check(up, d, d == null ? null : d.getSpec().getSelector(), labels);
        return bad != null ? bad : resolved("apps/v1", d);
      }
      case "StatefulSet" -> {
        StatefulSet s = client.apps().statefulSets().inNamespace(ns).withName(o.getName()).get();
        Owner bad = check(o, s, s == null ? null : s.getSpec().getSelector(), labels);
        return bad != null ? bad : resolved("apps/v1", s);
      }
      case "DaemonSet" -> {
        DaemonSet s = client.apps().daemonSets().inNamespace(ns).withName(o.getName()).get();
        Owner bad = check(o, s, s == null ? null : s.getSpec().getSelector(), labels);
        return bad != null ? bad : resolved("apps/v1", s);
      }
      case "Job" -> {
        Job job = client.batch().v1().jobs().inNamespace(ns).withName(o.getName()).get();
        // A Job's selector is defaulted by the API server; one without is checked by UID alone.
        LabelSelector sel = job == null ? null : job.getSpec().getSelector();
        Owner bad = check(o, job, sel == null ? EVERYTHING : sel, labels);
        if (bad != null) {
          return bad;
        }
        OwnerReference up = controller(job);
        if (up != null && !"CronJob".equals(up.getKind()) && PATCHABLE.contains(up.getKind())) {
          return Owner.refused(
              OwnerReason.UnexpectedOwner,
              "a Job names a " + up.getKind() + " as its controller; no workload is trusted");
        }
        if (up == null || !"CronJob".equals(up.getKind())) {
          return resolved("batch/v1", job);
        }
        CronJob cj = client.batch().v1().cronjobs().inNamespace(ns).withName(up.getName()).get();
        bad = check(up, cj, EVERYTHING, labels);
        return bad != null ? bad : resolved("batch/v1", cj);
      }
      case "Deployment", "CronJob" -> {
        return Owner.refused(
            OwnerReason.UnexpectedOwner,
            "the pod names a "
                + o.getKind()
                + " as its controller, which Kubernetes never does; no workload is trusted");
      }
      default -> {
        return new Owner(
            new WorkloadReference(o.getApiVersion(), o.getKind(), o.getName()),
            null,
            OwnerReason.Resolved,
            "a " + o.getKind() + " the operator does not change");
      }
    }
  }

  private static final LabelSelector EVERYTHING = new LabelSelector();

  /** Why this hop is not to be trusted, or null when it is. */
  private static Owner check(
      OwnerReference ref, HasMetadata live, LabelSelector selector, Map<String, String> labels) {
    String what = ref.getKind() + " " + ref.getName();
    if (live == null) {
      return Owner.refused(OwnerReason.OwnerGone, what + " does not exist");
    }
    if (ref.getUid() == null || !ref.getUid().equals(live.getMetadata().getUid())) {
      return Owner.refused(
          OwnerReason.OwnerUidMismatch,
          what + " has UID " + live.getMetadata().getUid() + ", not " + ref.getUid());
    }
    if (selector == null || !Selectors.matches(selector, labels)) {
      return Owner.refused(
          OwnerReason.SelectorMismatch, what + "'s selector does not select the pod");
    }
    return null;
  }

  private static Owner resolved(String apiVersion, HasMetadata o) {
    return new Owner(
        new WorkloadReference(apiVersion, o.getKind(), o.getMetadata().getName()),
        o,
        OwnerReason.Resolved,
        null);
  }

  static OwnerReference controller(HasMetadata o) {
    if (o.getMetadata().getOwnerReferences() == null) {
      return null;
    }
    return o.getMetadata().getOwnerReferences().stream()
        .filter(r -> Boolean.TRUE.equals(r.getController()))
        .findFirst()
        .orElse(null);
  }

  /** The workload object, or null when it is gone or of a kind the operator does not read. */
  public HasMetadata get(String namespace, WorkloadReference w) {
    return switch (w.kind) {
      case "Deployment" ->
          client.apps().deployments().inNamespace(namespace).withName(w.name).get();
      case "StatefulSet" ->
          client.apps().statefulSets().inNamespace(namespace).withName(w.name).get();
      case "DaemonSet" -> client.apps().daemonSets().inNamespace(namespace).withName(w.name).get();
      case "CronJob" ->
          client.batch().v1().cronjobs().inNamespace(namespace).withName(w.name).get();
      case "Job" -> client.batch().v1().jobs().inNamespace(namespace).withName(w.name).get();
      case "ReplicaSet" ->
          client.apps().replicaSets().inNamespace(namespace).withName(w.name).get();
      case "Pod" -> client.pods().inNamespace(namespace).withName(w.name).get();
      default -> null;
    };
  }

  /** The pod template of a workload object, or null for a bare pod. */
  public static PodTemplateSpec template(HasMetadata o) {
    if (o instanceof Deployment d) {
      return d.getSpec().getTemplate();
    } else if (o instanceof StatefulSet s) {
      return s.getSpec().getTemplate();
    } else if (o instanceof DaemonSet s) {
      return s.getSpec().getTemplate();
    } else if (o instanceof ReplicaSet s) {
      return s.getSpec().getTemplate();
    } else if (o instanceof Job j) {
      return j.getSpec().getTemplate();
    } else if (o instanceof CronJob c) {
      return c.getSpec().getJobTemplate().getSpec().getTemplate();
    }
    return null;
  }

  /** The named container of a workload (or of a bare pod), or null. */
  public static Container container(HasMetadata o, String name) {
    var spec =
        o instanceof Pod p ? p.getSpec() : template(o) == null ? null : template(o).getSpec();
    if (spec == null || name == null) {
      return null;
    }
    for (Container c : spec.getContainers()) {
      if (name.equals(c.getName())) {
        return c;
      }
    }
    if (spec.getInitContainers() != null) {
      for (Container c : spec.getInitContainers()) {
        if (name.equals(c.getName())) {
          return c;
        }
      }
    }
    return null;
  }

  /** True when {@code name} is an init container (a sidecar, say) of the workload's pods. */
  public static boolean isInit(HasMetadata o, String name) {
    var spec =
        o instanceof Pod p ? p.getSpec() : template(o) == null ? null : template(o).getSpec();
    return spec != null
        && spec.getInitContainers() != null
        && spec.getInitContainers().stream().anyMatch(c -> c.getName().equals(name));
  }

  public static Long memoryLimit(Container c) {
    return c == null || c.getResources() == null || c.getResources().getLimits() == null
        ? null
        : Quantities.bytes(c.getResources().getLimits().get("memory"));
  }

  public static Long memoryRequest(Container c) {
    return c == null || c.getResources() == null || c.getResources().getRequests() == null
        ? null
        : Quantities.bytes(c.getResources().getRequests().get("memory"));
  }

  /** kubectl's resource name for a kind, for the commands the operator proposes. */
  public static String resourceName(String kind) {
    return kind.toLowerCase(java.util.Locale.ROOT);
  }
}
