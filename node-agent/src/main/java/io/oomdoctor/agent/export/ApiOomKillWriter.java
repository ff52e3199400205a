package io.oomdoctor.agent.export;

import io.oomdoctor.agent.kube.KubeConnection;
import io.oomdoctor.agent.metrics.AgentMetrics;
import io.oomdoctor.model.OomKill;
import io.oomdoctor.model.evidence.Repeats;
import java.io.IOException;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates an OomKill in the API server and says what the answer means: kept (201, or 409 for a
 * kernel record reported before a restart), refused for good (400, 413, 422, a 500 that says the
 * request is too large, a 403 of a quota or an admission policy), or failed (anything else, or no
 * answer). Kills counted into an OomKill that already exists get one of their own ({@code -more});
 * a kill whose namespace is gone is kept in the agent's own.
 */
public final class ApiOomKillWriter implements OomKillWriter {
  private static final Logger LOG = LoggerFactory.getLogger(ApiOomKillWriter.class);

  /** Suffix of the OomKill of the kills counted into one that had been reported before. */
  static final String MORE = "-more";

  private static final String PATH =
      "/apis/" + OomKill.GROUP + "/" + OomKill.VERSION + "/namespaces/%s/oomkills";

  private final KubeConnection api;
  private final String fallbackNamespace;
  private final AgentMetrics metrics;

  public ApiOomKillWriter(KubeConnection api, String fallbackNamespace, AgentMetrics metrics) {
    this.api = api;
    this.fallbackNamespace = fallbackNamespace;
    this.metrics = metrics;
  }

  @Override
  public Outcome write(OomKill kill) {
    String ns = kill.getMetadata().getNamespace();
    KubeConnection.Response r;
    try {
      r = api.send("POST", String.format(PATH, ns), Json.body(kill));
    } catch (IOException e) {
      return new Failed("unreachable", e.toString());
    } catch (RuntimeException e) {
      // Credentials that cannot be re-read, say: retried like an outage, never the worker's end.
      return new Failed("error", e.toString());
    }
    int code = r.statusCode();
    if (code == 200 || code == 201) {
      metrics.exported("created");
      return new Written("created");
    }
    if (code == 409
        && Repeats.count(kill.getSpec().repeats) > 1
        && !kill.getMetadata().getName().endsWith(MORE)) {
      // The first kill was reported before (an agent restart re-read it); the ones counted into
      // it since were not: they get an OomKill of their own.
      Repeats rep = kill.getSpec().repeats;
      rep.count = rep.count - 1;
      if (rep.pids != null && !rep.pids.isEmpty()) {
        rep.pids.remove(0);
      }
      kill.getMetadata().setName(kill.getMetadata().getName() + MORE);
      metrics.exported("already-exists");
      return write(kill);
    }
    if (code == 409) {
      metrics.exported("already-exists");
      return new Written("already-exists");
    }
    if (code == 404 && !fallbackNamespace.equals(ns)) {
      LOG.info(
          "Namespace {} not found; writing OomKill {} to {}",
          ns,
          kill.getMetadata().getName(),
          fallbackNamespace);
      kill.getMetadata().setNamespace(fallbackNamespace);
      return write(kill);
    }
    if (code == 400
        || code == 413
        || code == 422
        || (code == 500 && tooLarge(r.body()))
        || (code == 403 && refusedForItself(r.body()))) {
      metrics.exportFailed("refused-" + code);
      return new Refused("refused-" + code, "HTTP " + code + ": " + abbreviate(r.body()));
    }
    return new Failed(Integer.toString(code), "HTTP " + code + ": " + abbreviate(r.body()));
  }

  /**
   * A 403 that is about this object (a quota, an admission policy), not about the agent's rights:
   * retrying it cannot help, while a missing permission may be granted and is retried.
   */
  private static boolean refusedForItself(String body) {
    String b = body == null ? "" : body.toLowerCase(Locale.ROOT);
    return b.contains("exceeded quota") || b.contains("denied request") || b.contains("denied the");
  }

  /** etcd's and the API server's words for an object over their size limits. */
  private static boolean tooLarge(String body) {
    String b = body == null ? "" : body.toLowerCase(Locale.ROOT);
    return b.contains("too large") || b.contains("exceeds") || b.contains("limit is");
  }

  private static String abbreviate(String s) {
    return s == null || s.length() <= 300 ? s : s.substring(0, 300) + "...";
  }
}
