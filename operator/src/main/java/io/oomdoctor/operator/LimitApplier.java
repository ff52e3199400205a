package io.oomdoctor.operator;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.oomdoctor.model.WorkloadReference;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Changes a container's memory limit (and request) in a workload's pod template, with optimistic
 * locking, recording the change on the workload itself; and writes the patch a person commits.
 */
final class LimitApplier {
  private static final Logger LOG = LoggerFactory.getLogger(LimitApplier.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final KubernetesClient client;
  private final Workloads workloads;
  private final EventRecorder events;
  private final OperatorMetrics metrics;
  private final Clock clock;

  LimitApplier(
      KubernetesClient client,
      Workloads workloads,
      EventRecorder events,
      OperatorMetrics metrics,
      Clock clock) {
    this.client = client;
    this.workloads = workloads;
    this.events = events;
    this.metrics = metrics;
    this.clock = clock;
  }

  /** Changes the container's limit (and request) in the workload; returns when. */
  String apply(
      String ns,
      WorkloadReference w,
      String container,
      Recommender.Decision d,
      KillVerdicts.Verdict latest,
      Long current) {
    HasMetadata fresh = workloads.get(ns, w);
    Container c = Workloads.container(fresh, container);
    if (c == null) {
      throw new IllegalStateException(w + " has no container " + container);
    }
    Long now = Workloads.memoryLimit(c);
    Map<String, AppliedChanges.Change> applied = AppliedChanges.read(fresh);
    AppliedChanges.Change done = applied.get(container);
    if (done != null && latest.name().equals(done.kill())) {
      return done.at(); // applied before a restart or a lost status write
    }
    if (!Objects.equals(now, current)) {
      throw new IllegalStateException(
          w
              + " changed while deciding (limit "
              + now
              + ", expected "
              + current
              + "); deciding again");
    }
    if (c.getResources() == null) {
      c.setResources(new ResourceRequirements());
    }
    if (c.getResources().getLimits() == null) {
      c.getResources().setLimits(new HashMap<>());
    }
    c.getResources()
        .getLimits()
        .put("memory", new Quantity(Quantities.format(d.recommendedLimit())));
    if (d.newRequest() != null) {
      if (c.getResources().getRequests() == null) {
        c.getResources().setRequests(new HashMap<>());
      }
      c.getResources().getRequests().put("memory", new Quantity(Quantities.format(d.newRequest())));
    }
    String at = clock.instant().toString();
    String from = current == null ? "none" : Quantities.format(current);
    applied.put(
        container,
        new AppliedChanges.Change(
            from, Quantities.format(d.recommendedLimit()), latest.cause(), latest.name(), at));
    if (fresh.getMetadata().getAnnotations() == null) {
      fresh.getMetadata().setAnnotations(new HashMap<>());
    }
    fresh
        .getMetadata()
        .getAnnotations()
        .put(AppliedChanges.ANNOTATION, AppliedChanges.write(applied));
    HasMetadata updated =
        client.resource(fresh).update(); // optimistic: 409 when it changed meanwhile
    LOG.info(
        "{}/{} {}: memory limit of {} raised from {} to {} after {} ({})",
        ns,
        w.kind,
        w.name,
        container,
        from,
        Quantities.format(d.recommendedLimit()),
        latest.name(),
        latest.cause());
    metrics.applied(ns, w.toString(), container);
    events.record(
        ns,
        involved(ns, w, updated),
        "Normal",
        EventReason.MemoryLimitRaised.name(),
        container,
        latest.name(),
        "Container "
            + container
            + ": memory limit raised from "
            + from
            + " to "
            + Quantities.format(d.recommendedLimit())
            + (d.newRequest() != null ? " (request " + Quantities.format(d.newRequest()) + ")" : "")
            + (Recommender.RISK_CAUSE.equals(latest.cause())
                ? " before any OOM kill: its working set stays near the limit (OomRisk "
                    + latest.name()
                    + ")."
                : " after OOM kill " + latest.name() + " (" + latest.cause() + ")."));
    return at;
  }

  static ObjectReference involved(String ns, WorkloadReference w, HasMetadata o) {
    return new ObjectReferenceBuilder()
        .withApiVersion(w.apiVersion == null ? o.getApiVersion() : w.apiVersion)
        .withKind(w.kind)
        .withName(w.name)
        .withNamespace(ns)
        .withUid(o.getMetadata().getUid())
        .build();
  }

  /** The strategic merge patch a person commits (or applies) for this recommendation. */
  static String patch(String kind, String container, boolean init, Recommender.Decision d) {
    ObjectNode resources = JSON.createObjectNode();
    resources.putObject("limits").put("memory", Quantities.format(d.recommendedLimit()));
    if (d.newRequest() != null) {
      resources.putObject("requests").put("memory", Quantities.format(d.newRequest()));
    }
    ObjectNode c = JSON.createObjectNode();
    c.put("name", container);
    c.set("resources", resources);
    ObjectNode podSpec = JSON.createObjectNode();
    ArrayNode list = podSpec.putArray(init ? "initContainers" : "containers");
    list.add(c);
    ObjectNode root = JSON.createObjectNode();
    switch (kind) {
      case "Pod" -> root.set("spec", podSpec);
      case "CronJob" ->
          root.putObject("spec")
              .putObject("jobTemplate")
              .putObject("spec")
              .putObject("template")
              .set("spec", podSpec);
      default -> root.putObject("spec").putObject("template").set("spec", podSpec);
    }
    return root.toString();
  }
}
