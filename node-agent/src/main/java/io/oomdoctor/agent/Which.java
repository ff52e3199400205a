package io.oomdoctor.agent;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;

/** Whether a program is on this process's PATH. */
public final class Which {
  private Which() {}

  public static boolean onPath(String program) {
    String path = System.getenv("PATH");
    if (path == null) {
      return false;
    }
    for (String dir : path.split(File.pathSeparator)) {
      Path p = Path.of(dir, program);
      if (Files.isExecutable(p)) {
        return true;
      }
    }
    return false;
  }
}
