"""File-system primitives for safe placement: temporary names, no-replace renames, group sync."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import fcntl
import os
import signal
import stat
from collections.abc import Iterator

import xxhash

TEMP_PREFIX = ".imgorg-tmp-"
_RENAME_NOREPLACE = 1
_AT_FDCWD = -100
_libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
_CHUNK = 8 * 1024 * 1024


class DestinationExists(FileExistsError):
    pass


def temp_name(final: str) -> str:
    """The temporary sibling a file is written to before it takes its final name: one per
    final name, so that recovery finds it from the journal alone."""
    token = xxhash.xxh3_64_hexdigest(os.fsencode(os.path.basename(final)))
    return os.path.join(os.path.dirname(final), f"{TEMP_PREFIX}{token}")


def rename_noreplace(src: str, dst: str) -> None:
    """Atomically rename ``src`` to ``dst``; raise DestinationExists if ``dst`` exists."""
    func = getattr(_libc, "renameat2", None)
    if func is not None:
        result = func(_AT_FDCWD, os.fsencode(src), _AT_FDCWD, os.fsencode(dst), _RENAME_NOREPLACE)
        if result == 0:
            return
        err = ctypes.get_errno()
        if err == errno.EEXIST:
            raise DestinationExists(errno.EEXIST, "destination exists", dst)
        if err not in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
            raise OSError(err, os.strerror(err), src)
    # The filesystem has no RENAME_NOREPLACE: a hard link fails on an existing name too.
    try:
        os.link(src, dst)
    except FileExistsError as exc:
        raise DestinationExists(errno.EEXIST, "destination exists", dst) from exc
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
            raise
        if os.path.lexists(dst):
            raise DestinationExists(errno.EEXIST, "destination exists", dst) from exc
        os.rename(src, dst)
        return
    os.unlink(src)


def copy_into(src: str, dst: str, hasher: xxhash.xxh3_128 | None = None) -> int:
    """Copy ``src`` to a new file ``dst`` (which must not exist); return the bytes copied.

    With ``hasher`` the bytes pass through it, so the copy is verified as it is written;
    without, the kernel copies them (copy_file_range) when it can. Raw descriptors: for the
    many small files of a photo archive, Python's buffered file objects cost more than the copy.
    """
    fin = os.open(src, os.O_RDONLY | os.O_CLOEXEC)
    try:
        fout = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
        try:
            return _copy_fd(fin, fout, hasher)
        finally:
            os.close(fout)
    finally:
        os.close(fin)


def _copy_fd(fin: int, fout: int, hasher: xxhash.xxh3_128 | None) -> int:
    if hasher is None and hasattr(os, "copy_file_range"):
        copied = _kernel_copy(fin, fout)
        if copied is not None:
            return copied
    total = 0
    # Reading more than the file holds costs a large buffer: size the reads to it.
    step = max(1, min(_CHUNK, os.fstat(fin).st_size + 1))
    while chunk := os.read(fin, step):
        if hasher is not None:
            hasher.update(chunk)
        _write_fully(fout, chunk)
        total += len(chunk)
    return total


@contextlib.contextmanager
def _new_file(path: str) -> Iterator[int]:
    """A new file at ``path`` (which must not exist), open for writing; removed again when
    the block fails (a crash, an interrupt, a full disk), so no half-made file stays."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
    try:
        yield fd
    except BaseException:
        os.close(fd)
        remove_quietly(path)
        raise
    os.close(fd)


FICLONE = 0x40049409  # linux/fs.h: _IOW(0x94, 9, int)
_NO_CLONE = (errno.EXDEV, errno.EOPNOTSUPP, errno.EINVAL, errno.ENOTTY, errno.ENOSYS, errno.EPERM)


def clone_or_copy(
    src: str,
    dst: str,
    data: bytes | None = None,
    hasher: xxhash.xxh3_128 | None = None,
    mtime_ns: int | None = None,
    durable: bool = False,
) -> bool:
    """Create ``dst`` (which must not exist) as a reflink clone of ``src``, as
    ``cp --reflink=auto`` does: instant, no extra space, yet an independent file (True). Where
    the filesystem cannot (ext4, tmpfs, across filesystems) the same new file is filled instead
    (False): with ``data``, or with ``src``'s bytes passed through ``hasher``. One creation
    either way: on a disk where creating a file is the dearest thing done to it, trying the
    clone must not cost a second. With ``mtime_ns``, ``dst`` gets that mtime (see
    ``write_new`` for ``durable``). A ``dst`` left half made is removed."""
    fin = os.open(src, os.O_RDONLY | os.O_CLOEXEC)
    try:
        with _new_file(dst) as fout:
            try:
                fcntl.ioctl(fout, FICLONE, fin)
                cloned = True
            except OSError as exc:
                if exc.errno not in _NO_CLONE:
                    raise
                cloned = False
            if not cloned and data is not None:
                _write_fully(fout, data)
            elif not cloned:
                _copy_fd(fin, fout, hasher)
            if mtime_ns is not None:
                _finish_new(fout, mtime_ns, durable)
        return cloned
    finally:
        os.close(fin)


def _kernel_copy(fin: int, fout: int) -> int | None:
    """copy_file_range to the end; None (nothing copied) when the kernel cannot do it here."""
    total = 0
    try:
        while copied := os.copy_file_range(fin, fout, _CHUNK):
            total += copied
    except OSError as exc:
        if total or exc.errno not in (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
            raise
        return None
    return total


def hash_stream(path: str, keep: int = 0) -> tuple[str, int, bytes]:
    """Hash a file in chunks; return the hash, its size and its first ``keep`` bytes."""
    hasher = xxhash.xxh3_128()
    size = 0
    head = b""
    with open(path, "rb", buffering=0) as handle:
        while chunk := handle.read(_CHUNK):
            if len(head) < keep:
                head += chunk[: keep - len(head)]
            hasher.update(chunk)
            size += len(chunk)
    return hasher.hexdigest(), size, head


def write_new(path: str, data: bytes, mtime_ns: int, durable: bool = False) -> None:
    """Write ``data`` to a new file ``path`` (which must not exist) with the mtime ``mtime_ns``;
    fsync it only if ``durable`` (else the next group commit's filesystem sync covers it).
    A file left half-written is removed."""
    with _new_file(path) as fd:
        _write_fully(fd, data)
        _finish_new(fd, mtime_ns, durable)


def copy_hashing(
    src: str, dst: str, mtime_ns: int, keep: int = 0, durable: bool = False
) -> tuple[str, int, bytes]:
    """Copy ``src`` to a new file ``dst`` in chunks, hashing each chunk on its way (the copy
    holds exactly the bytes hashed); return the hash, the size and the first ``keep`` bytes,
    as ``hash_stream`` does. ``dst`` gets the mtime ``mtime_ns``; see ``write_new``."""
    hasher = xxhash.xxh3_128()
    size = 0
    head = b""
    fin = os.open(src, os.O_RDONLY | os.O_CLOEXEC)
    try:
        with _new_file(dst) as fout:
            step = max(1, min(_CHUNK, os.fstat(fin).st_size + 1))
            while chunk := os.read(fin, step):
                if len(head) < keep:
                    head += chunk[: keep - len(head)]
                hasher.update(chunk)
                _write_fully(fout, chunk)
                size += len(chunk)
            _finish_new(fout, mtime_ns, durable)
    finally:
        os.close(fin)
    return hasher.hexdigest(), size, head


def _write_fully(fd: int, data: bytes) -> None:
    """``os.write`` until every byte is written (a write may take only part of them)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _finish_new(fd: int, mtime_ns: int, durable: bool) -> None:
    os.utime(fd, ns=(mtime_ns, mtime_ns))
    if durable:
        os.fsync(fd)


def hash_file(path: str) -> str:
    return hash_stream(path)[0]


def same_bytes(a: str, b: str) -> bool:
    """Byte-for-byte comparison of two files."""
    with open(a, "rb") as fa, open(b, "rb") as fb:
        if os.fstat(fa.fileno()).st_size != os.fstat(fb.fileno()).st_size:
            return False
        while True:
            chunk_a = fa.read(_CHUNK)
            if chunk_a != fb.read(_CHUNK):
                return False
            if not chunk_a:
                return True


def sync_filesystem(path: str) -> None:
    """Flush everything written on the filesystem that holds ``path`` (one call per batch)."""
    func = getattr(_libc, "syncfs", None)
    fd = os.open(path, os.O_RDONLY)
    try:
        if func is None or func(fd) != 0:
            os.sync()
    finally:
        os.close(fd)


def fsync_path(path: str) -> None:
    """Make one file's (or folder's) contents durable now, without syncing the filesystem."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def holds(path: str, content_hash: str | None, size: int | None = None) -> bool:
    """Whether ``path`` is a file (a link to one counts) holding exactly the bytes of
    ``content_hash`` (of ``size`` bytes, when given: a file of another size is not read);
    False for anything unreadable."""
    try:
        if content_hash is None:
            return False
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode) or (size is not None and st.st_size != size):
            return False
        return hash_file(path) == content_hash
    except OSError:
        return False


def make_folders(path: str) -> None:
    """``os.makedirs(path, exist_ok=True)`` without its recursion, which a tree a thousand
    folders deep exhausts: the missing folders are found going up, then made going down."""
    missing = []
    while path and not os.path.isdir(path):
        missing.append(path)
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):
            os.mkdir(folder)
    if missing and not os.path.isdir(missing[0]):
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), missing[0])


def open_for_writing(path: str) -> bool:
    """Whether a program has the file ``path`` open for writing (a copy or a camera import
    still under way: its bytes are not all there yet), as Linux tells by refusing a read lease
    on it. False where that cannot be told: a filesystem without leases (NFS, FUSE), another
    user's file without CAP_LEASE."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        # A lease broken while held signals its holder: with SIGURG, ignored, not SIGIO (fatal).
        fcntl.fcntl(fd, fcntl.F_SETSIG, signal.SIGURG)
        fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_RDLCK)
    except OSError as exc:
        return exc.errno == errno.EAGAIN
    finally:
        os.close(fd)  # the lease goes with it
    return False


FUSE_SUPER_MAGIC = 0x65735546


def keeps_change_times(path: str) -> bool:
    """Whether the filesystem holding ``path`` gives a file a new ctime on every write, so that
    the same inode and ctime prove the same bytes. Not FUSE (an exFAT card, a phone over MTP):
    its daemon reports what it likes (exfat-fuse reports the mtime), and a write that keeps the
    size and puts the mtime back (``exiftool -P -overwrite_original_in_place``) shows nowhere.
    False when it cannot be told."""
    statfs = getattr(_libc, "statfs", None)
    if statfs is None:
        return False
    buf = ctypes.create_string_buffer(512)  # struct statfs, f_type first
    if statfs(os.fsencode(path), buf) != 0:
        return False
    return ctypes.c_long.from_buffer(buf).value & 0xFFFFFFFF != FUSE_SUPER_MAGIC


def remove_quietly(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def same_device(a: str, b: str) -> bool:
    """Whether a file in folder ``a`` can be renamed into folder ``b``: one filesystem, and one
    mount of it (bind mounts of one filesystem share st_dev, yet a rename between them fails)."""
    if os.stat(a).st_dev != os.stat(b).st_dev:
        return False
    # The kernel compares the mounts before it looks the name up: a name that does not exist
    # gives EXDEV across mounts and ENOENT within one, and nothing changes on disk.
    probe = f"{TEMP_PREFIX}rename-probe-{os.urandom(8).hex()}"
    try:
        os.rename(os.path.join(a, probe), os.path.join(b, probe))
    except OSError as exc:
        return exc.errno != errno.EXDEV
    os.rename(os.path.join(b, probe), os.path.join(a, probe))  # it existed after all: put it back
    return True
