package io.oomdoctor.operator;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
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

  /** The controlling owner of a live pod, followed up to the workload a person edits. */
  public WorkloadReference ownerOf(Pod pod) {
    OwnerReference o = controller(pod);
    if (o == null) {
      return new WorkloadReference("v1", "Pod", pod.getMetadata().getName());
    }
    return follow(pod.getMetadata().getNamespace(), o.getKind(), o.getName(), o.getApiVersion());
  }

  /** The same from what the agent recorded, for a pod that is gone. */
  public WorkloadReference follow(String namespace, String kind, String name, String apiVersion) {
    if (kind == null) {
      return null;
    }
    switch (kind) {
      case "ReplicaSet" -> {
        ReplicaSet rs = client.apps().replicaSets().inNamespace(namespace).withName(name).get();
        OwnerReference up = rs == null ? null : controller(rs);
        if (up != null && "Deployment".equals(up.getKind())) {
          return new WorkloadReference("apps/v1", "Deployment", up.getName());
        }
        return new WorkloadReference("apps/v1", "ReplicaSet", name);
      }
      case "Job" -> {
        Job job = client.batch().v1().jobs().inNamespace(namespace).withName(name).get();
        OwnerReference up = job == null ? null : controller(job);
        if (up != null && "CronJob".equals(up.getKind())) {
          return new WorkloadReference("batch/v1", "CronJob", up.getName());
        }
        return new WorkloadReference("batch/v1", "Job", name);
      }
      case "StatefulSet", "DaemonSet", "Deployment" -> {
        return new WorkloadReference("apps/v1", kind, name);
      }
      default -> {
        return new WorkloadReference(apiVersion, kind, name);
      }
    }
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
