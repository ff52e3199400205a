package io.oomdoctor.demo;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kubelet's part in the demo and the end-to-end tests, small and of our own: for each
 * Deployment it makes a ReplicaSet and Pods from the current template, with the status a kubelet
 * writes (node name, QoS class, container IDs); it runs each container's command as a real process
 * in a cgroup of the kubelet's layout with the container's (and pod's) memory limit; when the
 * kernel kills a container's main process it restarts the container in place (restart count, {@code
 * lastState.terminated.reason: OOMKilled}), or, when the template has changed meanwhile, replaces
 * the Pod with one from the current template.
 */
public final class FakeKubelet implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(FakeKubelet.class);
  private static final KubernetesSerialization SERIAL = new KubernetesSerialization();

  /** The cgroup layout, as kubelet's cgroup driver makes it. */
  public enum Driver {
    CGROUPFS,
    SYSTEMD
  }

  private final KubernetesClient client;
  private final String node;
  private final Path root;
  private final Driver driver;
  private final Map<String, Path> commands;
  private final Path logs;
  private final ExecutorService work =
      Executors.newSingleThreadExecutor(r -> new Thread(r, "fake-kubelet"));
  private final Map<String, RunningPod> pods = new ConcurrentHashMap<>();
  private SharedIndexInformer<Deployment> informer;
  private volatile boolean closed;
  private volatile long restartDelayMs = 300;
  private volatile int maxRestarts = Integer.MAX_VALUE;
  private final java.util.concurrent.atomic.AtomicInteger oomKilled =
      new java.util.concurrent.atomic.AtomicInteger();

  /** A pod this kubelet runs: its cgroup and a process per container. */
  private static final class RunningPod {
    final String namespace;
    final String name;
    final String uid;
    final String templateHash;
    final Path podCgroup;
    final Map<String, Process> processes = new ConcurrentHashMap<>();
    final Map<String, Path> containerCgroups = new ConcurrentHashMap<>();

    RunningPod(String namespace, String name, String uid, String templateHash, Path podCgroup) {
      this.namespace = namespace;
      this.name = name;
      this.uid = uid;
      this.templateHash = templateHash;
      this.podCgroup = podCgroup;
    }
  }

  /**
   * @param root the directory under which {@code kubepods} (or {@code kubepods.slice}) is made
   * @param commands executables by the name a container's command uses (e.g. memhog)
   */
  public FakeKubelet(
      KubernetesClient client,
      String node,
      Path root,
      Driver driver,
      Map<String, Path> commands,
      Path logs) {
    this.client = client;
    this.node = node;
    this.root = root;
    this.driver = driver;
    this.commands = commands;
    this.logs = logs;
  }

  public void restartDelayMs(long ms) {
    this.restartDelayMs = ms;
  }

  /** After this many restarts a container stays dead (as in CrashLoopBackOff, but for good). */
  public void maxRestarts(int n) {
    this.maxRestarts = n;
  }

  /** Containers whose main process the kernel killed (exit 137) since the start. */
  public int oomKilled() {
    return oomKilled.get();
  }

  public FakeKubelet start() {
    informer =
        client
            .apps()
            .deployments()
            .inAnyNamespace()
            .inform(
                new ResourceEventHandler<>() {
                  @Override
                  public void onAdd(Deployment d) {
                    work.execute(() -> sync(d));
                  }

                  @Override
                  public void onUpdate(Deployment old, Deployment d) {
                    work.execute(() -> sync(d));
                  }

                  @Override
                  public void onDelete(Deployment d, boolean unknown) {
                    work.execute(() -> removeAll(d));
                  }
                });
    return this;
  }

  /** The Pods of a Deployment as this kubelet runs them now. */
  public List<Pod> podsOf(String namespace, String deployment) {
    return client
        .pods()
        .inNamespace(namespace)
        .withLabel("oomdoctor.io/demo-deployment", deployment)
        .list()
        .getItems();
  }

  // ---------------------------------------------------------------------------------------------

  static String hash(PodTemplateSpec template) {
    try {
      byte[] d =
          MessageDigest.getInstance("SHA-256")
              .digest(SERIAL.asJson(template).getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 5).substring(0, 9);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private void sync(Deployment d) {
    if (closed) {
      return;
    }
    try {
      String ns = d.getMetadata().getNamespace();
      String h = hash(d.getSpec().getTemplate());
      String rsName = d.getMetadata().getName() + "-" + h;
      ReplicaSet rs = client.apps().replicaSets().inNamespace(ns).withName(rsName).get();
      if (rs == null) {
        rs =
            client
                .apps()
                .replicaSets()
                .inNamespace(ns)
                .resource(
                    new ReplicaSetBuilder()
                        .withNewMetadata()
                        .withName(rsName)
                        .withNamespace(ns)
                        .addToLabels(d.getSpec().getTemplate().getMetadata().getLabels())
                        .withOwnerReferences(
                            new OwnerReferenceBuilder()
                                .withApiVersion("apps/v1")
                                .withKind("Deployment")
                                .withName(d.getMetadata().getName())
                                .withUid(d.getMetadata().getUid())
                                .withController(true)
                                .build())
                        .endMetadata()
                        .withNewSpec()
                        .withReplicas(d.getSpec().getReplicas())
                        .withSelector(d.getSpec().getSelector())
                        .withTemplate(d.getSpec().getTemplate())
                        .endSpec()
                        .build())
                .create();
      }
      int want = d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
      // Pods of older templates go (a rollout, all at once); the current template is filled up.
      for (RunningPod p : List.copyOf(pods.values())) {
        if (p.namespace.equals(ns)
            && p.name.startsWith(d.getMetadata().getName() + "-")
            && !p.templateHash.equals(h)) {
          stop(p, true);
        }
      }
      long have =
          pods.values().stream()
              .filter(
                  p ->
                      p.namespace.equals(ns)
                          && p.templateHash.equals(h)
                          && p.name.startsWith(rsName))
              .count();
      for (long i = have; i < want; i++) {
        run(d, rs, h);
      }
    } catch (Exception e) {
      LOG.warn(
          "Could not run the pods of {}/{}: {}",
          d.getMetadata().getNamespace(),
          d.getMetadata().getName(),
          e.toString());
    }
  }

  private void run(Deployment d, ReplicaSet rs, String h) throws IOException {
    String ns = d.getMetadata().getNamespace();
    PodTemplateSpec t = d.getSpec().getTemplate();
    String name = rs.getMetadata().getName() + "-" + UUID.randomUUID().toString().substring(0, 5);
    Pod pod =
        new PodBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(ns)
            .addToLabels(t.getMetadata().getLabels())
            .addToLabels("oomdoctor.io/demo-deployment", d.getMetadata().getName())
            .withOwnerReferences(
                new OwnerReferenceBuilder()
                    .withApiVersion("apps/v1")
                    .withKind("ReplicaSet")
                    .withName(rs.getMetadata().getName())
                    .withUid(rs.getMetadata().getUid())
                    .withController(true)
                    .build())
            .endMetadata()
            .withSpec(SERIAL.clone(t.getSpec()))
            .build();
    pod.getSpec().setNodeName(node);
    pod = client.pods().inNamespace(ns).resource(pod).create();
    String uid = pod.getMetadata().getUid();
    String qos = qos(pod);
    Path podCgroup = podCgroup(qos, uid);
    Files.createDirectories(podCgroup);
    Long podLimit = podLimit(pod);
    if (podLimit != null) {
      limit(podCgroup, podLimit);
    }
    RunningPod running = new RunningPod(ns, name, uid, h, podCgroup);
    pods.put(ns + "/" + name, running);
    List<ContainerStatus> statuses = new ArrayList<>();
    for (Container c : pod.getSpec().getContainers()) {
      statuses.add(startContainer(running, c, 0, null));
    }
    pod.setStatus(
        new io.fabric8.kubernetes.api.model.PodStatusBuilder()
            .withPhase("Running")
            .withQosClass(qosName(qos))
            .withHostIP("127.0.0.1")
            .withPodIP("10.0.0." + (1 + pods.size() % 250))
            .withStartTime(Instant.now().toString())
            .withContainerStatuses(statuses)
            .build());
    client.pods().inNamespace(ns).resource(pod).updateStatus();
    LOG.info(
        "Started pod {}/{} ({} container(s), QoS {})", ns, name, statuses.size(), qosName(qos));
  }

  private ContainerStatus startContainer(
      RunningPod pod, Container c, int restarts, ContainerStatus last) throws IOException {
    String cid = (UUID.randomUUID().toString() + UUID.randomUUID()).replace("-", "");
    Path cg = containerCgroup(pod.podCgroup, cid);
    Files.createDirectories(cg);
    Long limit = memory(c, true);
    if (limit != null) {
      limit(cg, limit);
    }
    List<String> argv = command(c);
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "bash",
                "-c",
                "echo $$ > \"$0\" && exec \"$@\"",
                cg.resolve("cgroup.procs").toString()));
    cmd.addAll(argv);
    Files.createDirectories(logs);
    Process p =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(
                ProcessBuilder.Redirect.appendTo(
                    logs.resolve(pod.name + "_" + c.getName() + ".log").toFile()))
            .start();
    pod.processes.put(c.getName(), p);
    pod.containerCgroups.put(c.getName(), cg);
    p.onExit().thenAccept(done -> work.execute(() -> exited(pod, c, done, cid, restarts)));
    ContainerStatusBuilder b =
        new ContainerStatusBuilder()
            .withName(c.getName())
            .withImage(c.getImage())
            .withContainerID("containerd://" + cid)
            .withReady(true)
            .withStarted(true)
            .withRestartCount(restarts)
            .withNewState()
            .withNewRunning()
            .withStartedAt(Instant.now().toString())
            .endRunning()
            .endState();
    if (last != null) {
      b.withLastState(last.getState());
    }
    return b.build();
  }

  private void exited(RunningPod pod, Container c, Process p, String cid, int restarts) {
    if (closed
        || pods.get(pod.namespace + "/" + pod.name) != pod
        || pod.processes.get(c.getName()) != p) {
      return;
    }
    int code = p.exitValue();
    boolean oom = code == 137;
    if (oom) {
      oomKilled.incrementAndGet();
    }
    LOG.info(
        "Container {} of {}/{} exited with {}{}",
        c.getName(),
        pod.namespace,
        pod.name,
        code,
        oom ? " (OOMKilled)" : "");
    Path deadCgroup = pod.containerCgroups.get(c.getName());
    try {
      Pod live = client.pods().inNamespace(pod.namespace).withName(pod.name).get();
      if (live == null) {
        return;
      }
      Deployment d = owner(live);
      if (d != null && !hash(d.getSpec().getTemplate()).equals(pod.templateHash)) {
        // The template changed (e.g. a new limit): the Pod is replaced from the current template.
        stop(pod, true);
        sync(d);
        return;
      }
      // As a container runtime does, the dead container's cgroup goes a moment after its exit.
      Thread.sleep(Math.min(restartDelayMs, 100));
      removeCgroup(deadCgroup);
      if (restarts >= maxRestarts) {
        return;
      }
      Thread.sleep(restartDelayMs);
      ContainerStatus terminated =
          new ContainerStatusBuilder()
              .withNewState()
              .withNewTerminated()
              .withExitCode(code)
              .withReason(oom ? "OOMKilled" : "Error")
              .withContainerID("containerd://" + cid)
              .withFinishedAt(Instant.now().toString())
              .endTerminated()
              .endState()
              .build();
      ContainerStatus next = startContainer(pod, c, restarts + 1, terminated);
      List<ContainerStatus> statuses = new ArrayList<>(live.getStatus().getContainerStatuses());
      statuses.replaceAll(s -> s.getName().equals(c.getName()) ? next : s);
      live.getStatus().setContainerStatuses(statuses);
      client.pods().inNamespace(pod.namespace).resource(live).updateStatus();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      LOG.warn(
          "Could not restart {} of {}/{}: {}", c.getName(), pod.namespace, pod.name, e.toString());
    }
  }

  private Deployment owner(Pod pod) {
    String dep =
        pod.getMetadata().getLabels() == null
            ? null
            : pod.getMetadata().getLabels().get("oomdoctor.io/demo-deployment");
    return dep == null
        ? null
        : client
            .apps()
            .deployments()
            .inNamespace(pod.getMetadata().getNamespace())
            .withName(dep)
            .get();
  }

  private void removeAll(Deployment d) {
    for (RunningPod p : List.copyOf(pods.values())) {
      if (p.namespace.equals(d.getMetadata().getNamespace())
          && p.name.startsWith(d.getMetadata().getName() + "-")) {
        stop(p, true);
      }
    }
  }

  private void stop(RunningPod p, boolean deletePod) {
    pods.remove(p.namespace + "/" + p.name);
    for (Process proc : p.processes.values()) {
      proc.descendants().forEach(ProcessHandle::destroyForcibly);
      proc.destroyForcibly();
    }
    for (Process proc : p.processes.values()) {
      try {
        proc.waitFor(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    p.containerCgroups.values().forEach(FakeKubelet::removeCgroup);
    removeCgroup(p.podCgroup);
    if (deletePod && !closed) {
      try {
        client.pods().inNamespace(p.namespace).withName(p.name).delete();
      } catch (Exception e) {
        LOG.debug("Could not delete pod {}: {}", p.name, e.toString());
      }
    }
  }

  // --- cgroups and commands ----------------------------------------------------------------------

  private Path podCgroup(String qos, String uid) {
    if (driver == Driver.CGROUPFS) {
      Path base = root.resolve("kubepods");
      return (qos.equals("guaranteed") ? base : base.resolve(qos)).resolve("pod" + uid);
    }
    String u = uid.replace('-', '_');
    Path base = root.resolve("kubepods.slice");
    return qos.equals("guaranteed")
        ? base.resolve("kubepods-pod" + u + ".slice")
        : base.resolve("kubepods-" + qos + ".slice")
            .resolve("kubepods-" + qos + "-pod" + u + ".slice");
  }

  private Path containerCgroup(Path pod, String cid) {
    return driver == Driver.CGROUPFS
        ? pod.resolve(cid)
        : pod.resolve("cri-containerd-" + cid + ".scope");
  }

  static void limit(Path cgroup, long bytes) throws IOException {
    Files.writeString(cgroup.resolve("memory.limit_in_bytes"), Long.toString(bytes));
  }

  /** Removes a cgroup directory once its processes are gone (rmdir fails while any remain). */
  static void removeCgroup(Path cg) {
    if (cg == null) {
      return;
    }
    for (int i = 0; i < 50 && Files.exists(cg); i++) {
      try {
        Files.delete(cg);
      } catch (IOException e) {
        try {
          Thread.sleep(100);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  private List<String> command(Container c) {
    List<String> argv = new ArrayList<>();
    if (c.getCommand() != null) {
      argv.addAll(c.getCommand());
    }
    if (c.getArgs() != null) {
      argv.addAll(c.getArgs());
    }
    if (argv.isEmpty()) {
      throw new IllegalArgumentException("container " + c.getName() + " has no command");
    }
    Path exe = commands.get(argv.get(0));
    if (exe != null) {
      argv.set(0, exe.toString());
    }
    argv.replaceAll(a -> a.equals("@demo-classpath") ? System.getProperty("java.class.path") : a);
    return argv;
  }

  static Long memory(Container c, boolean limit) {
    if (c.getResources() == null) {
      return null;
    }
    Map<String, Quantity> m = limit ? c.getResources().getLimits() : c.getResources().getRequests();
    Quantity q = m == null ? null : m.get("memory");
    return q == null ? null : Quantity.getAmountInBytes(q).longValue();
  }

  /**
   * The pod cgroup's limit: pod-level resources when set, else the sum when every container has
   * one.
   */
  static Long podLimit(Pod pod) {
    if (pod.getSpec().getResources() != null
        && pod.getSpec().getResources().getLimits() != null
        && pod.getSpec().getResources().getLimits().get("memory") != null) {
      return Quantity.getAmountInBytes(pod.getSpec().getResources().getLimits().get("memory"))
          .longValue();
    }
    long sum = 0;
    for (Container c : pod.getSpec().getContainers()) {
      Long l = memory(c, true);
      if (l == null) {
        return null;
      }
      sum += l;
    }
    return sum;
  }

  static String qos(Pod pod) {
    boolean any = false;
    boolean guaranteed = true;
    for (Container c : pod.getSpec().getContainers()) {
      Long l = memory(c, true);
      Long r = memory(c, false);
      any |= l != null || r != null;
      guaranteed &= l != null && (r == null || Objects.equals(l, r));
    }
    return guaranteed ? "guaranteed" : any ? "burstable" : "besteffort";
  }

  static String qosName(String qos) {
    return switch (qos) {
      case "guaranteed" -> "Guaranteed";
      case "burstable" -> "Burstable";
      default -> "BestEffort";
    };
  }

  @Override
  public void close() {
    if (informer != null) {
      informer.close();
    }
    closed = true;
    work.shutdown();
    try {
      work.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (RunningPod p : List.copyOf(pods.values())) {
      stop(p, false);
    }
    // The QoS and kubepods levels this kubelet made (deepest first).
    try (var walk = Files.walk(root)) {
      walk.filter(Files::isDirectory)
          .sorted(java.util.Comparator.reverseOrder())
          .forEach(FakeKubelet::removeCgroup);
    } catch (IOException e) {
      LOG.debug("Could not list {}: {}", root, e.toString());
    }
  }
}
