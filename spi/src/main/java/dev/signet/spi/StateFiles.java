package dev.signet.spi;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Signet's state on local disk (key journal, software keystore, subkey records, dev credentials): created
 * owner-only whatever the umask (files 0600, directories 0700, set at creation so no other user can open them
 * in between), replaced atomically, and changed by one process at a time under a lock file.
 */
public final class StateFiles {

    /** How long {@link #lock} waits for another holder before giving up. */
    public static final Duration LOCK_TIMEOUT = Duration.ofSeconds(30);

    private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    private static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> DIRECTORY_MODE = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> GROUP_OR_OTHERS = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);
    private static final ConcurrentHashMap<Path, ProcessLock> LOCKS = new ConcurrentHashMap<>();

    private StateFiles() {
    }

    /** Creates {@code dir} and its missing parents, each 0700; existing directories are left as they are. */
    public static Path createDirectories(Path dir) throws IOException {
        return Files.createDirectories(dir, attributes(DIRECTORY_MODE));
    }

    /**
     * Replaces {@code file} with {@code content} so that a crash or power loss leaves the old or the new
     * content, never a mix: a new 0600 file in the same directory is written and fsynced, renamed over
     * {@code file}, and the directory is fsynced. Missing parent directories are created 0700.
     */
    public static void write(Path file, byte[] content) throws IOException {
        Path target = file.toAbsolutePath();
        Path tmp = durableTemporary(target, content);
        try {
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        syncDirectory(target.getParent());
    }

    /**
     * Like {@link #write}, but only if {@code file} does not exist: of several processes creating it at once,
     * exactly one wins, and the others find the winner's content.
     *
     * @return whether this call created it
     */
    public static boolean create(Path file, byte[] content) throws IOException {
        Path target = file.toAbsolutePath();
        Path tmp = durableTemporary(target, content);
        try {
            Files.createLink(target, tmp);
        } catch (FileAlreadyExistsException e) {
            return false;
        } finally {
            Files.deleteIfExists(tmp);
        }
        syncDirectory(target.getParent());
        return true;
    }

    /** A new 0600 file beside {@code target} with {@code content}, fsynced. */
    private static Path durableTemporary(Path target, byte[] content) throws IOException {
        Path dir = createDirectories(target.getParent());
        // A fresh name: never reuse a temporary file an older version or another user may have made.
        Path tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp", attributes(FILE_MODE));
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            ByteBuffer buffer = ByteBuffer.wrap(content);
            while (buffer.hasRemaining()) {
                ch.write(buffer);
            }
            ch.force(true);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        return tmp;
    }

    /**
     * Makes a rename, link or new file in {@code dir} survive power loss (the file's own fsync does not cover its
     * directory entry). Some platforms cannot open a directory for sync, and the entry is already in place, so this
     * never fails the caller's write.
     */
    public static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            System.getLogger(StateFiles.class.getName()).log(System.Logger.Level.DEBUG,
                    "cannot fsync {0}: {1}", dir, e.toString());
        }
    }

    /** {@link #write(Path, byte[])} of {@code text} in UTF-8. */
    public static void writeString(Path file, CharSequence text) throws IOException {
        write(file, text.toString().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Refuses a file holding private keys or their secrets, or a directory of them (checked with the files directly
     * in it), that group or others may use in any way.
     *
     * @param what what it is, for the message ("software keystore")
     * @throws SignetException FAILED_PRECONDITION naming each such path and the {@code chmod} that fixes them all;
     *                         nothing if {@code path} is missing
     */
    public static void requireOwnerOnly(Path given, String what) {
        Path path = given.toAbsolutePath();
        if (!POSIX || !Files.exists(path)) {
            return;
        }
        List<Path> open = new ArrayList<>();
        StringBuilder modes = new StringBuilder();
        try {
            List<Path> checked = new ArrayList<>(List.of(path));
            if (Files.isDirectory(path)) {
                try (Stream<Path> entries = Files.list(path)) {
                    entries.sorted().forEach(checked::add);
                }
            }
            for (Path p : checked) {
                Set<PosixFilePermission> mode = Files.getPosixFilePermissions(p);
                if (mode.stream().anyMatch(GROUP_OR_OTHERS::contains)) {
                    open.add(p);
                    modes.append(modes.isEmpty() ? "" : ", ").append(p).append(' ')
                            .append(PosixFilePermissions.toString(mode));
                }
            }
        } catch (IOException e) {
            throw new SignetException(SignetException.Code.FAILED_PRECONDITION,
                    "cannot check the permissions of " + what + " " + path + ": " + e.getMessage(), e);
        }
        if (open.isEmpty()) {
            return;
        }
        String dirs = open.stream().filter(Files::isDirectory).map(Path::toString).collect(Collectors.joining(" "));
        String files = open.stream().filter(p -> !Files.isDirectory(p)).map(Path::toString)
                .collect(Collectors.joining(" "));
        String fix = Stream.of(dirs.isEmpty() ? "" : "chmod 700 " + dirs, files.isEmpty() ? "" : "chmod 600 " + files)
                .filter(c -> !c.isEmpty()).collect(Collectors.joining(" && "));
        throw new SignetException(SignetException.Code.FAILED_PRECONDITION, what + " " + path
                + " is open to group or others (" + modes + "); what holds private keys must be owner-only. Fix: "
                + fix + " (and rotate keys that others could read)");
    }

    /** A held {@link #lock}; closing releases it. */
    public interface Lock extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Takes {@code lockFile} (created 0600 if missing) for this thread, across processes through an OS lock and
     * across threads of this process through a lock per file, since a JVM cannot hold two OS locks on one file.
     * Reentrant within a thread. The holder's pid is written into the file, to name it when another waits too long.
     *
     * @throws SignetException UNAVAILABLE naming the file and the holder when it is not free within {@code timeout},
     *                         or when the file cannot be opened
     */
    public static Lock lock(Path lockFile, Duration timeout) {
        ProcessLock held = LOCKS.computeIfAbsent(lockFile.toAbsolutePath().normalize(), ProcessLock::new);
        held.acquire(timeout);
        return held::release;
    }

    private static FileAttribute<?>[] attributes(Set<PosixFilePermission> mode) {
        return POSIX ? new FileAttribute<?>[]{PosixFilePermissions.asFileAttribute(mode)} : new FileAttribute<?>[0];
    }

    /** One OS lock per file and JVM, held while a thread of this JVM holds the reentrant lock. */
    private static final class ProcessLock {
        private final Path file;
        private final ReentrantLock threads = new ReentrantLock();
        private volatile String holderThread;
        private FileChannel channel;
        private FileLock osLock;

        ProcessLock(Path file) {
            this.file = file;
        }

        void acquire(Duration timeout) {
            long deadline = System.nanoTime() + timeout.toNanos();
            try {
                if (!threads.tryLock(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                    throw new SignetException(SignetException.Code.UNAVAILABLE, "lock " + file + " is held by thread '"
                            + holderThread + "' of this process for over " + timeout);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SignetException(SignetException.Code.UNAVAILABLE, "interrupted waiting for " + file, e);
            }
            if (threads.getHoldCount() > 1) {
                return;
            }
            try {
                createDirectories(file.getParent());
                channel = FileChannel.open(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ,
                        StandardOpenOption.WRITE), attributes(FILE_MODE));
                long pause = 1;
                while ((osLock = channel.tryLock()) == null) {
                    if (System.nanoTime() - deadline > 0) {
                        throw new SignetException(SignetException.Code.UNAVAILABLE, "lock " + file + " is held by "
                                + holder() + " for over " + timeout);
                    }
                    Thread.sleep(pause);
                    pause = Math.min(pause * 2, 20);
                }
                channel.truncate(0);
                channel.write(StandardCharsets.UTF_8.encode("pid " + ProcessHandle.current().pid() + "\n"), 0);
                holderThread = Thread.currentThread().getName();
            } catch (IOException | InterruptedException | RuntimeException e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                closeChannel();
                threads.unlock();
                throw e instanceof SignetException se ? se
                        : new SignetException(SignetException.Code.UNAVAILABLE, "cannot lock " + file + ": " + e, e);
            }
        }

        /** Read through the open channel: closing another descriptor of the file could drop this JVM's locks. */
        private String holder() {
            try {
                ByteBuffer b = ByteBuffer.allocate(64);
                channel.read(b, 0);
                String text = new String(b.array(), 0, b.position(), StandardCharsets.UTF_8).strip();
                return text.matches("pid [0-9]+") ? "another process (" + text + ")" : "another process";
            } catch (IOException e) {
                return "another process";
            }
        }

        void release() {
            try {
                if (threads.getHoldCount() == 1) {
                    holderThread = null;
                    closeChannel();
                }
            } finally {
                threads.unlock();
            }
        }

        private void closeChannel() {
            try {
                if (osLock != null) {
                    osLock.release();
                }
                if (channel != null) {
                    channel.close();
                }
            } catch (IOException e) {
                // Closing the channel releases the OS lock anyway.
            } finally {
                osLock = null;
                channel = null;
            }
        }
    }
}
