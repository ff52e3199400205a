package io.oomdoctor.operator;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.oomdoctor.common.HttpEndpoint;
import io.oomdoctor.diagnosis.DiagnosisSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code oomdoctor-operator}: the cluster side of OOM Doctor. Every flag can be set by env. */
@Command(
    name = "oomdoctor-operator",
    mixinStandardHelpOptions = true,
    versionProvider = OperatorMain.Version.class,
    description =
        "Diagnoses OomKills (status + a Warning Event on the Pod) and reconciles OomPolicies.")
public final class OperatorMain implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(OperatorMain.class);
  private static final Path SA_NAMESPACE =
      Path.of("/var/run/secrets/kubernetes.io/serviceaccount/namespace");

  @Option(
      names = "--kubeconfig",
      defaultValue = "${env:OOMDOCTOR_KUBECONFIG}",
      description =
          "Kubeconfig file; default: in-cluster service account, else $KUBECONFIG/~/.kube/config")
  Path kubeconfig;

  @Option(
      names = "--namespaces",
      split = ",",
      defaultValue = "${env:OOMDOCTOR_NAMESPACES}",
      description = "Namespaces to watch (comma-separated); default: all")
  String[] namespaces;

  @Option(
      names = "--leader-election",
      negatable = true,
      defaultValue = "${env:OOMDOCTOR_LEADER_ELECTION:-true}",
      fallbackValue = "true",
      description = "Run with a Lease so that only one replica acts (default: true)")
  boolean leaderElection;

  @Option(
      names = "--lease-name",
      defaultValue = "${env:OOMDOCTOR_LEASE_NAME:-oomdoctor-operator}",
      description = "Name of the Lease (default: ${DEFAULT-VALUE})")
  String leaseName;

  @Option(
      names = "--lease-namespace",
      defaultValue = "${env:OOMDOCTOR_LEASE_NAMESPACE}",
      description = "Namespace of the Lease; default: the operator's own")
  String leaseNamespace;

  @Option(
      names = "--identity",
      defaultValue = "${env:OOMDOCTOR_IDENTITY:-${env:HOSTNAME:-oomdoctor-operator}}",
      description = "This replica's name in the Lease and in Events")
  String identity;

  @Option(
      names = "--http-port",
      defaultValue = "${env:OOMDOCTOR_HTTP_PORT:-9403}",
      description = "Port of /metrics, /healthz and /readyz; 0 for any (default: ${DEFAULT-VALUE})")
  int httpPort;

  @Option(
      names = "--retention",
      defaultValue = "${env:OOMDOCTOR_RETENTION:-168h}",
      description = "How long OomKills are kept (default: ${DEFAULT-VALUE})")
  String retention;

  @Option(
      names = "--keep-per-workload",
      defaultValue = "${env:OOMDOCTOR_KEEP_PER_WORKLOAD:-50}",
      description = "OomKills kept per workload container (default: ${DEFAULT-VALUE})")
  int keepPerWorkload;

  @Option(
      names = "--event-window",
      defaultValue = "${env:OOMDOCTOR_EVENT_WINDOW:-10m}",
      description =
          "Kills of one pod with one cause within this update one Event (default: ${DEFAULT-VALUE})")
  String eventWindow;

  private volatile boolean stopping;

  @Option(
      names = "--apply-enabled",
      negatable = true,
      defaultValue = "${env:OOMDOCTOR_APPLY_ENABLED:-false}",
      fallbackValue = "true",
      description =
          "Whether OomPolicies in mode Apply may patch workloads (the RBAC must allow it); when"
              + " not, they recommend (default: false)")
  boolean applyEnabled;

  @Option(
      names = "--apply-exclude-namespaces",
      split = ",",
      defaultValue = "${env:OOMDOCTOR_APPLY_EXCLUDE_NAMESPACES:-kube-system}",
      description =
          "Namespaces whose workloads are never patched, whatever their policy says (default:"
              + " ${DEFAULT-VALUE}; an empty value excludes none)")
  String[] applyExcludeNamespaces;

  @Option(
      names = "--system-namespace",
      defaultValue = "${env:OOMDOCTOR_SYSTEM_NAMESPACE:-oomdoctor-system}",
      description =
          "Namespace of OOM Doctor itself, where agents write kills of no pod; only those raise"
              + " node Events without a verified pod (default: ${DEFAULT-VALUE})")
  String systemNamespace;

  @Option(
      names = "--leak-window",
      defaultValue = "${env:OOMDOCTOR_LEAK_WINDOW:-30m}",
      description =
          "Steady growth must be seen this long to be called a leak (default: ${DEFAULT-VALUE})")
  String leakWindow;

  @Option(
      names = "--startup-window",
      defaultValue = "${env:OOMDOCTOR_STARTUP_WINDOW:-2m}",
      description =
          "A kill this soon after the container started is a startup spike (default:"
              + " ${DEFAULT-VALUE})")
  String startupWindow;

  @Option(
      names = "--plateau-age",
      defaultValue = "${env:OOMDOCTOR_PLATEAU_AGE:-10m}",
      description =
          "A container must be this old to be said to plateau at its limit (default:"
              + " ${DEFAULT-VALUE})")
  String plateauAge;

  public static void main(String[] args) {
    System.exit(new CommandLine(new OperatorMain()).execute(args));
  }

  /** The settings these flags give; fails with a clear message on a malformed value. */
  OperatorSettings settings() {
    Duration keep = Quantities.duration(retention);
    Duration window = Quantities.duration(eventWindow);
    if (keep == null || keep.isZero()) {
      throw new CommandLine.ParameterException(
          new CommandLine(this), "--retention must be a duration like 168h, not " + retention);
    }
    if (window == null) {
      throw new CommandLine.ParameterException(
          new CommandLine(this), "--event-window must be a duration like 10m, not " + eventWindow);
    }
    if (keepPerWorkload < 1) {
      throw new CommandLine.ParameterException(
          new CommandLine(this), "--keep-per-workload must be at least 1");
    }
    Set<String> ns = new LinkedHashSet<>();
    if (namespaces != null) {
      Arrays.stream(namespaces).map(String::trim).filter(s -> !s.isEmpty()).forEach(ns::add);
    }
    Duration leak = Quantities.duration(leakWindow);
    Duration startup = Quantities.duration(startupWindow);
    Duration plateau = Quantities.duration(plateauAge);
    if (leak == null || startup == null || plateau == null) {
      throw new CommandLine.ParameterException(
          new CommandLine(this),
          "--leak-window, --startup-window and --plateau-age must be durations like 30m");
    }
    Set<String> excluded = new LinkedHashSet<>();
    if (applyExcludeNamespaces != null) {
      Arrays.stream(applyExcludeNamespaces)
          .map(String::trim)
          .filter(s -> !s.isEmpty())
          .forEach(excluded::add);
    }
    return new OperatorSettings(
        ns,
        keep,
        keepPerWorkload,
        window,
        identity,
        DiagnosisSettings.DEFAULT.withWindows(
            leak.toSeconds(), startup.toSeconds(), plateau.toSeconds()),
        applyEnabled,
        Set.copyOf(excluded),
        systemNamespace);
  }

  @Override
  public Integer call() throws Exception {
    OperatorSettings settings = settings();
    Config config =
        kubeconfig != null
            ? Config.fromKubeconfig(null, Files.readString(kubeconfig), kubeconfig.toString())
            : Config.autoConfigure(null);
    KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build();
    LeaderElectionConfiguration le = null;
    if (leaderElection) {
      String ns = leaseNamespace;
      if (ns == null && Files.isReadable(SA_NAMESPACE)) {
        ns = Files.readString(SA_NAMESPACE).trim();
      }
      if (ns == null) {
        ns = config.getNamespace() == null ? "default" : config.getNamespace();
      }
      // Losing the Lease while running means another replica may act now: exit, and let the
      // Deployment start a fresh replica. Not during our own shutdown (exit would deadlock).
      le =
          new LeaderElectionConfiguration(
              leaseName,
              ns,
              LeaderElectionConfiguration.LEASE_DURATION_DEFAULT_VALUE,
              LeaderElectionConfiguration.RENEW_DEADLINE_DEFAULT_VALUE,
              LeaderElectionConfiguration.RETRY_PERIOD_DEFAULT_VALUE,
              identity,
              new LeaderCallbacks(
                  () -> LOG.info("{} leads: reconciling", identity),
                  () -> {
                    if (!stopping) {
                      LOG.error(
                          "{} lost the Lease; exiting so that a fresh replica takes over",
                          identity);
                      new Thread(() -> System.exit(1), "lease-lost").start();
                    }
                  },
                  leader -> LOG.info("Leader is {}", leader)),
              false);
    }
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    OomDoctorOperator operator =
        new OomDoctorOperator(
            client, settings, new OperatorMetrics(registry), Clock.systemUTC(), le, true);
    CountDownLatch stopped = new CountDownLatch(1);
    try (HttpEndpoint http = new HttpEndpoint(httpPort, registry::scrape, operator::ready)) {
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    stopping = true;
                    operator.close();
                    stopped.countDown();
                  },
                  "operator-shutdown"));
      operator.start();
      LOG.info(
          "OOM Doctor operator {} started (namespaces: {}, leader election: {}, http: {})",
          identity,
          settings.namespaces().isEmpty() ? "all" : settings.namespaces(),
          le == null ? "off" : le.getLeaseNamespace().orElse("") + "/" + le.getLeaseName(),
          http.port());
      stopped.await();
    }
    return 0;
  }

  /** The version from the jar's manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = OperatorMain.class.getPackage().getImplementationVersion();
      return new String[] {"oomdoctor-operator " + (v == null ? "dev" : v)};
    }
  }
}
