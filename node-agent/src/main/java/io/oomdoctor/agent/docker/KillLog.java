package io.oomdoctor.agent.docker;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.oomdoctor.model.OomKillSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The kills {@code run --docker} saw, one JSON line each ({@code {"spec": …, "diagnosis": …}}), in
 * the state directory: what {@code doctor} reads when the kernel's ring buffer has lost a report or
 * the container is gone, and where the memory curve before a kill is kept. Bounded: past {@link
 * #MAX_BYTES} the older half is dropped.
 */
public final class KillLog {
  public static final String FILE = "docker-kills.jsonl";
  public static final long MAX_BYTES = 8L << 20;

  private static final ObjectMapper JSON =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  private final Path file;

  public KillLog(Path stateDir) {
    this.file = stateDir.resolve(FILE);
  }

  public Path file() {
    return file;
  }

  /** Appends one kill; never throws (a full disk loses the entry, not the agent). */
  public synchronized void append(String specJson, String diagnosisJson) {
    try {
      Files.createDirectories(file.getParent());
      String line = "{\"spec\":" + specJson + ",\"diagnosis\":" + diagnosisJson + "}\n";
      Files.writeString(
          file, line, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      if (Files.size(file) > MAX_BYTES) {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        Path tmp = file.resolveSibling(FILE + ".tmp");
        Files.write(tmp, lines.subList(lines.size() / 2, lines.size()), StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      }
    } catch (IOException | RuntimeException e) {
      org.slf4j.LoggerFactory.getLogger(KillLog.class)
          .warn("Cannot record the kill in {}: {}", file, e.toString());
    }
  }

  /** The recorded kills of a container (by a prefix of its ID), oldest first. */
  public List<OomKillSpec> of(String id) {
    List<OomKillSpec> out = new ArrayList<>();
    if (id == null || id.length() < 12 || !Files.isReadable(file)) {
      return out;
    }
    try {
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        if (!line.contains(id)) {
          continue;
        }
        try {
          JsonNode n = JSON.readTree(line);
          OomKillSpec spec = JSON.treeToValue(n.path("spec"), OomKillSpec.class);
          if (spec != null && spec.report != null && DockerDoctor.reportOf(spec.report, id)) {
            out.add(spec);
          }
        } catch (IOException | RuntimeException e) {
          // a torn line (the agent stopped mid-write): skipped
        }
      }
    } catch (IOException e) {
      // unreadable: nothing recorded
    }
    return out;
  }
}
