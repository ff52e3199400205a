package io.oomdoctor.agent.kmsg;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Where reading /dev/kmsg stopped: the boot it belongs to and the last sequence number fully
 * handled. Stored as one line "bootId seq" in a file so that a restarted agent neither re-reports
 * nor misses a kill.
 */
public record Cursor(String bootId, long seq) {

  /** Reads a cursor file; null when there is none or it is unreadable (then all is read anew). */
  public static Cursor load(Path file) {
    if (file == null) {
      return null;
    }
    try {
      String[] parts = Files.readString(file, StandardCharsets.US_ASCII).trim().split("\\s+");
      if (parts.length != 2) {
        return null;
      }
      return new Cursor(parts[0], Long.parseLong(parts[1]));
    } catch (IOException | NumberFormatException e) {
      return null;
    }
  }

  /** Writes atomically (temp file and rename), so a crash never leaves half a cursor. */
  public void store(Path file) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    if (dir != null) {
      Files.createDirectories(dir);
    }
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(tmp, bootId + " " + seq + "\n", StandardCharsets.US_ASCII);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
