package io.pdaltagent.common;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpoolFormatTest {
    @TempDir
    Path dir;

    @Test
    void namesSortInTimeThenSequenceOrder() {
        List<String> names = new ArrayList<>(List.of(
                SpoolFormat.fileName(1_700_000_000_001L, 5, "42"),
                SpoolFormat.fileName(1_700_000_000_000L, 7, "pdagent"),
                SpoolFormat.fileName(1_700_000_000_000L, 6, "42")));
        List<String> sorted = new ArrayList<>(names);
        java.util.Collections.sort(sorted);
        assertThat(sorted).containsExactly(names.get(2), names.get(1), names.get(0));
        assertThat(names.get(0)).matches("1700000000001-0000000000000000005-42-[0-9a-f]{16}\\.event");
    }

    @Test
    void aWrittenFileIsWholeReadableByAllAndReplacesOneOfTheSameName() throws Exception {
        Path f = SpoolFormat.write(dir, "a.event", "one".getBytes());
        assertThat(Files.readString(f)).isEqualTo("one");
        assertThat(Files.getPosixFilePermissions(f)).isEqualTo(SpoolFormat.FILE_PERMISSIONS);
        SpoolFormat.write(dir, "a.event", "two".getBytes());
        assertThat(Files.readString(f)).isEqualTo("two");
        try (var s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("a.event");
        }
    }

    @Test
    void theDataDirIsTheVariableElseTheSystemOneElseTheUsersOne() {
        assertThat(DataDirs.resolve(" /x/y ")).isEqualTo(Path.of("/x/y"));
        Path expected = Files.isDirectory(Path.of(DataDirs.SYSTEM)) ? Path.of(DataDirs.SYSTEM)
                : Path.of(System.getProperty("user.home"), ".pdaltagent");
        assertThat(DataDirs.resolve(null)).isEqualTo(expected);
        assertThat(DataDirs.resolve("  ")).isEqualTo(expected);
    }

    @Test
    void aLinkPlantedUnderTheTemporaryNameIsNeitherFollowedNorWritten() throws Exception {
        Path victim = Files.writeString(dir.resolve("victim.txt"), "untouched");
        Files.createSymbolicLink(dir.resolve(".b.event.tmp"), victim);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> SpoolFormat.write(dir, "b.event", "evil".getBytes()))
                .isInstanceOf(java.nio.file.FileAlreadyExistsException.class);
        assertThat(Files.readString(victim)).isEqualTo("untouched");
        assertThat(Files.getPosixFilePermissions(victim)).doesNotContain(
                java.nio.file.attribute.PosixFilePermission.OTHERS_WRITE);
        assertThat(Files.exists(dir.resolve("b.event"), java.nio.file.LinkOption.NOFOLLOW_LINKS)).isFalse();
    }
}
