using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;

namespace Engram.Core.Storage
{
    /// <summary>How hard a write tries to reach the disk before it returns.</summary>
    public enum Durability
    {
        /// <summary>Data is handed to the operating system before the call returns: it survives the process being
        /// killed, not a power loss. The default.</summary>
        Normal,
        /// <summary>Every file is flushed to the device (fsync) before it is renamed into place: no torn file after a power
        /// cut (the folder entry is not fsync'ed, so the newest writes may revert to their previous version).</summary>
        Full,
    }

    /// <summary>File primitives: write-to-temp-then-rename, replace-by-rename, appends that can be rolled back.</summary>
    internal static class FileOps
    {
        private static readonly UTF8Encoding Utf8NoBom = new UTF8Encoding(false);

        // File.Move(string, string, bool) exists on .NET Core 3.0+ (PowerShell 7): one rename(2)/MoveFileEx, atomic.
        private static readonly Action<string, string, bool>? MoveOverwrite = FindMoveOverwrite();

        private static Action<string, string, bool>? FindMoveOverwrite()
        {
            var m = typeof(File).GetMethod("Move", BindingFlags.Public | BindingFlags.Static, null,
                new[] { typeof(string), typeof(string), typeof(bool) }, null);
            return m == null ? null : (Action<string, string, bool>)Delegate.CreateDelegate(typeof(Action<string, string, bool>), m);
        }

        [DllImport("kernel32.dll", CharSet = CharSet.Unicode, SetLastError = true)]
        private static extern bool MoveFileEx(string existing, string replacement, int flags);

        /// <summary>Renames <paramref name="source"/> over <paramref name="destination"/> atomically: a reader sees
        /// the old file or the new one, never a mix and never no file.</summary>
        public static void ReplaceByRename(string source, string destination)
        {
            if (MoveOverwrite != null)
            {
                MoveOverwrite(source, destination, true);
                return;
            }
            // .NET Framework (Windows PowerShell 5.1) is Windows-only: MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH.
            if (!MoveFileEx(source, destination, 0x1 | 0x8))
                throw new IOException($"Cannot rename '{source}' to '{destination}'.", Marshal.GetHRForLastWin32Error());
        }

        // The folders a write needs almost always exist already, and Directory.CreateDirectory on an existing folder
        // still costs a mkdir and a stat (~7% of a small Set on a RAM disk; see docs/performance.md). So try the operation
        // first and create the folder only when it is missing, then retry once. Same result, same atomicity.

        /// <summary>Opens <paramref name="path"/>, creating its folder first if (and only if) that is missing.</summary>
        internal static FileStream OpenCreatingDirectory(string path, FileMode mode, FileAccess access, FileShare share)
        {
            try
            {
                return new FileStream(path, mode, access, share, 4096, FileOptions.None);
            }
            catch (IOException) when (!Directory.Exists(Path.GetDirectoryName(path)!))
            {
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                return new FileStream(path, mode, access, share, 4096, FileOptions.None);
            }
        }

        /// <summary><see cref="ReplaceByRename"/>, creating the destination folder first if (and only if) that is missing.</summary>
        public static void ReplaceByRenameCreatingDirectory(string source, string destination)
        {
            try
            {
                ReplaceByRename(source, destination);
            }
            catch (IOException) when (File.Exists(source) && !Directory.Exists(Path.GetDirectoryName(destination)!))
            {
                Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
                ReplaceByRename(source, destination);
            }
        }

        /// <summary>Writes <paramref name="content"/> to a new temp file in <paramref name="tempDir"/> and returns its path.</summary>
        public static string WriteTemp(string tempDir, string content, Durability durability) =>
            WriteTemp(tempDir, new[] { new ArraySegment<byte>(Utf8NoBom.GetBytes(content)) }, durability);

        /// <summary>Writes <paramref name="parts"/>, one after the other, to a new temp file and returns its path.</summary>
        /// <paramref name="beforeClose"/> may still change the file (before it is flushed); if it throws, the temp file is deleted.
        public static string WriteTemp(string tempDir, IReadOnlyList<ArraySegment<byte>> parts, Durability durability, Action<FileStream>? beforeClose = null)
        {
            var path = Path.Combine(tempDir, Guid.NewGuid().ToString("N") + ".tmp");
            try
            {
                using (var fs = OpenCreatingDirectory(path, FileMode.CreateNew, FileAccess.Write, FileShare.None))
                {
                    foreach (var p in parts) fs.Write(p.Array!, p.Offset, p.Count);
                    beforeClose?.Invoke(fs);
                    if (durability == Durability.Full) fs.Flush(true);
                }
            }
            catch
            {
                TryDelete(path);
                throw;
            }
            return path;
        }

        /// <summary>Writes a whole file atomically (temp file in <paramref name="tempDir"/>, then rename).</summary>
        public static void WriteAtomic(string path, string content, string tempDir, Durability durability)
        {
            var tmp = WriteTemp(tempDir, content, durability);
            try
            {
                ReplaceByRenameCreatingDirectory(tmp, path);
            }
            catch
            {
                TryDelete(tmp);
                throw;
            }
        }

        /// <summary>Appends to a file and returns its length before the append (for <see cref="Truncate"/>).</summary>
        public static long Append(string path, string content, Durability durability) =>
            Append(path, new[] { new ArraySegment<byte>(Utf8NoBom.GetBytes(content)) }, durability);

        /// <summary>Appends <paramref name="parts"/>, one after the other; returns the file's length before the append.</summary>
        public static long Append(string path, IReadOnlyList<ArraySegment<byte>> parts, Durability durability)
        {
            using (var fs = OpenCreatingDirectory(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read))
            {
                long before = fs.Seek(0, SeekOrigin.End);
                try
                {
                    foreach (var p in parts) fs.Write(p.Array!, p.Offset, p.Count);
                    if (durability == Durability.Full) fs.Flush(true);
                    else fs.Flush();
                }
                catch
                {
                    fs.SetLength(before);
                    throw;
                }
                return before;
            }
        }

        /// <summary>Cuts a file back to <paramref name="length"/> bytes (undoes an append); deletes it if that is 0.</summary>
        public static void Truncate(string path, long length)
        {
            if (!File.Exists(path)) return;
            if (length == 0)
            {
                File.Delete(path);
                return;
            }
            using (var fs = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.Read))
                fs.SetLength(length);
        }

        /// <summary>
        /// The file as text: UTF-8 decoded in one vectorized pass (File.ReadAllText's reader decodes in small chunks:
        /// ~2 ms per MB), a UTF-8 byte-order mark skipped; a file with a UTF-16 or UTF-32 mark is read as before.
        /// </summary>
        public static string ReadAllText(string path) => DecodeText(File.ReadAllBytes(path));

        /// <summary>A whole file's bytes as text, by the rules of <see cref="ReadAllText"/>.</summary>
        public static string DecodeText(byte[] bytes)
        {
            if (bytes.Length >= 2 && ((bytes[0] == 0xFE && bytes[1] == 0xFF) || (bytes[0] == 0xFF && bytes[1] == 0xFE)))
                using (var reader = new StreamReader(new MemoryStream(bytes), Utf8NoBom, detectEncodingFromByteOrderMarks: true))
                    return reader.ReadToEnd(); // a UTF-16 or UTF-32 byte-order mark
            int skip = bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0;
            return Utf8NoBom.GetString(bytes, skip, bytes.Length - skip);
        }

        /// <summary>Reads <paramref name="fs"/> on into <paramref name="buf"/> from <paramref name="filled"/> bytes
        /// already there until the buffer is full or the file ends; returns the buffer, cut to what was read.</summary>
        public static byte[] ReadRest(Stream fs, byte[] buf, int filled)
        {
            while (filled < buf.Length)
            {
                int n = fs.Read(buf, filled, buf.Length - filled);
                if (n <= 0) break;
                filled += n;
            }
            if (filled < buf.Length) Array.Resize(ref buf, filled);
            return buf;
        }

        public static void TryDelete(string path)
        {
            try { File.Delete(path); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }

        public static byte[] GetBytes(string s) => Utf8NoBom.GetBytes(s);

        public static string GetString(byte[] b, int offset, int count) => Utf8NoBom.GetString(b, offset, count);
    }
}
