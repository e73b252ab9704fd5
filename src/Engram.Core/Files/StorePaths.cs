using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;

namespace Engram.Core.Storage
{
    /// <summary>What a proven path is on disk.</summary>
    internal enum PathKind { Missing, File, Directory }

    /// <summary>
    /// Containment, the one rule for every path Engram reads, writes, renames or deletes under a file store: the path
    /// lies inside the store's root (lexically: no <c>..</c>, no empty or <c>.</c> segment, nothing before the root's
    /// prefix), and no folder or file of it below the root is a symbolic link or another reparse point, so no operation
    /// is ever sent outside the folder. The root itself (and its parents) may be a link: it is what the user named.
    /// Paths built from validated names (<see cref="Names"/>) and paths that come from disk (listings, transaction
    /// records) are proven the same way before use; a path that fails is refused with <c>UnsafeStorePath</c>.
    /// </summary>
    /// <remarks>
    /// Cost: one <c>lstat</c> per level. Folders proven real are remembered by this instance (one per store object: one
    /// cmdlet invocation in PowerShell), except under <c>_txn</c>, <c>_branches</c> and <c>_quarantine</c>, which Engram
    /// itself removes: Engram never removes a namespace folder, <c>_provenance</c>, its namespace folders, <c>_tmp</c> or
    /// <c>_vectors</c>, so one of them can only turn into a link if someone replaces the folder while the store object
    /// is in use (a race no check before use can close either). A rolled-back transaction forgets what it learnt
    /// (<see cref="Forget"/>). Files are proven on every use.
    /// </remarks>
    internal sealed class StorePaths
    {
        internal const string QuarantineFolder = "_quarantine";

        private static readonly char[] Separators = Path.DirectorySeparatorChar == Path.AltDirectorySeparatorChar
            ? new[] { Path.DirectorySeparatorChar }
            : new[] { Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar };

        private static readonly string[] VolatileTops = { Transaction.Folder, EngramStore.BranchesFolder, QuarantineFolder };

        private readonly string _prefix; // the root with one trailing separator
        private readonly ConcurrentDictionary<string, byte> _realDirs = new ConcurrentDictionary<string, byte>(StringComparer.Ordinal);

        public StorePaths(string root)
        {
            var r = root.TrimEnd(Separators);
            Root = r.Length == 0 ? root : r;
            _prefix = Root + Path.DirectorySeparatorChar;
        }

        /// <summary>The root, without a trailing separator.</summary>
        public string Root { get; }

        /// <summary>Forgets every folder proven real (after a rollback removed folders, or before a verification).</summary>
        public void Forget() => _realDirs.Clear();

        // ------------------------------------------------------------------ the rule

        /// <summary>
        /// Proves that <paramref name="path"/> (a full path) lies inside the store and that no level of it below the root
        /// is a link, and returns what it is. Levels below the first missing one are not looked at (they cannot exist).
        /// Throws <c>UnsafeStorePath</c> naming the offending path.
        /// </summary>
        public PathKind Prove(string path)
        {
            var problem = Check(path, out var offender, out var kind);
            if (problem != null) throw Unsafe(offender!, problem);
            return kind;
        }

        /// <summary><see cref="Prove"/> that returns the path (without asking what it is: one system call less); for builders.</summary>
        public string Proven(string path)
        {
            var problem = Check(path, out var offender, out _, needKind: false);
            if (problem != null) throw Unsafe(offender!, problem);
            return path;
        }

        /// <summary>Like <see cref="Prove"/>, without throwing: null when safe, else why (and which path).</summary>
        /// <param name="needKind">False: <paramref name="kind"/> is only Missing or File (= exists), saving a system call.</param>
        public string? Check(string path, out string? offender, out PathKind kind, bool needKind = true)
        {
            kind = PathKind.Missing;
            offender = path;
            if (path == null) return "it is empty";
            if (!path.StartsWith(_prefix, StringComparison.Ordinal) || path.Length == _prefix.Length)
                return "it is not inside the store's folder";
            int start = _prefix.Length;
            bool cacheable = Cacheable(path);
            while (true)
            {
                int sep = path.IndexOfAny(Separators, start);
                int end = sep < 0 ? path.Length : sep;
                int len = end - start;
                if (len == 0 || (len == 1 && path[start] == '.') || (len == 2 && path[start] == '.' && path[start + 1] == '.'))
                    return "it has an empty, '.' or '..' segment";
                var level = sep < 0 ? path : path.Substring(0, end);
                if (sep >= 0 && _realDirs.ContainsKey(level))
                {
                    start = sep + 1;
                    continue;
                }
                var probe = ProbeLevel(level);
                if (probe == Level.Missing) return null; // nothing deeper exists, nothing to follow
                if (probe == Level.Link)
                {
                    offender = level;
                    return "it is a symbolic link or another reparse point; Engram does not follow links inside a store";
                }
                if (sep < 0)
                {
                    var attrs = needKind ? Attributes(level) : FileAttributes.Normal;
                    kind = attrs == null ? PathKind.Missing : (attrs.Value & FileAttributes.Directory) != 0 ? PathKind.Directory : PathKind.File;
                    return null;
                }
                // (a file where a folder should be is no link: the operation itself fails on it)
                if (cacheable) _realDirs.TryAdd(level, 0);
                start = sep + 1;
            }
        }

        /// <summary>True when the path (inside the store) passes <see cref="Prove"/>.</summary>
        public bool IsSafe(string path) => Check(path, out _, out _) == null;

        /// <summary>Whether folders of this path may be remembered: not under _txn, _branches or _quarantine.</summary>
        private bool Cacheable(string path)
        {
            foreach (var top in VolatileTops)
                if (string.CompareOrdinal(path, _prefix.Length, top, 0, top.Length) == 0
                    && (path.Length == _prefix.Length + top.Length || Array.IndexOf(Separators, path[_prefix.Length + top.Length]) >= 0))
                    return false;
            return true;
        }

        private enum Level { Missing, Real, Link }

        // On Unix a level is probed with readlink(2): one system call that says "a link", "not a link" (EINVAL) or
        // "missing" (ENOENT, ENOTDIR). FileInfo.Attributes costs two there (lstat and geteuid, for ReadOnly).
        private static readonly bool Unix = Path.DirectorySeparatorChar == '/';
        private static volatile bool _noReadlink;
        private static readonly byte[] LinkBuffer = new byte[1]; // what readlink writes is never read

#pragma warning disable CA2101 // libc takes UTF-8, not UTF-16: Ansi is UTF-8 on Unix (netstandard2.0 has no LPUTF8Str)
        [DllImport("libc", EntryPoint = "readlink", SetLastError = true, CharSet = CharSet.Ansi)] // Ansi is UTF-8 on Unix
        private static extern IntPtr ReadLink(string path, byte[] buffer, IntPtr size);
#pragma warning restore CA2101

        private static Level ProbeLevel(string path)
        {
            if (Unix && !_noReadlink)
            {
                try
                {
                    if ((long)ReadLink(path, LinkBuffer, (IntPtr)1) >= 0) return Level.Link;
                    switch (Marshal.GetLastWin32Error())
                    {
                        case 22: return Level.Real;     // EINVAL: exists, not a link
                        case 2: return Level.Missing;   // ENOENT
                        case 20: return Level.Missing;  // ENOTDIR: a file where a folder should be
                    } // anything else (EACCES, ELOOP…): ask .NET
                }
                catch (Exception ex) when (ex is DllNotFoundException || ex is EntryPointNotFoundException)
                {
                    _noReadlink = true;
                }
            }
            var a = Attributes(path);
            return a == null ? Level.Missing : (a.Value & FileAttributes.ReparsePoint) != 0 ? Level.Link : Level.Real;
        }

        /// <summary>The path's attributes without following a final link; null when it does not exist.</summary>
        internal static FileAttributes? Attributes(string path)
        {
            try
            {
                var a = new FileInfo(path).Attributes; // lstat: a link reports ReparsePoint, not its target
                return (int)a == -1 ? (FileAttributes?)null : a;
            }
            catch (FileNotFoundException) { return null; } // .NET Framework reports a missing path by throwing
            catch (DirectoryNotFoundException) { return null; }
        }

        /// <summary>True when <paramref name="path"/> itself is a link or another reparse point (dangling ones too).</summary>
        internal static bool IsLink(string path) => ProbeLevel(path) == Level.Link;

        /// <summary>True when something (a file, a folder, a link) is at <paramref name="path"/>; one system call on Unix.</summary>
        internal static bool Exists(string path) => ProbeLevel(path) != Level.Missing;

        internal static EngramException Unsafe(string path, string why) =>
            new EngramException(EngramErrorIds.UnsafeStorePath, EngramErrorKind.InvalidData,
                $"Refused to use '{path}': {why}. Nothing was changed; check the store with Test-EngramStore.", path);

        // ------------------------------------------------------------------ listings

        /// <summary>
        /// The files of a folder of the store matching <paramref name="pattern"/>, after proving the folder; each one is
        /// proven too unless <paramref name="proveEach"/> is false (for a listing whose every file is proven when read).
        /// </summary>
        public IEnumerable<string> Files(string dir, string pattern, bool proveEach = true)
        {
            if (Prove(dir) != PathKind.Directory) return Array.Empty<string>();
            var files = Directory.EnumerateFiles(dir, pattern);
            return proveEach ? files.Select(Proven) : files;
        }

        /// <summary>The sub-folders of a folder of the store, after proving the folder and each sub-folder.</summary>
        public IEnumerable<string> Directories(string dir)
        {
            if (Prove(dir) != PathKind.Directory) return Array.Empty<string>();
            return Directory.EnumerateDirectories(dir).Select(Proven);
        }

        /// <summary>The relative, '/'-separated form of a full path inside the store (lexical; throws when outside).</summary>
        public string Relative(string fullPath)
        {
            var full = Path.GetFullPath(fullPath);
            if (!full.StartsWith(_prefix, StringComparison.Ordinal) || full.Length == _prefix.Length)
                throw Unsafe(fullPath, "it is not inside the store's folder");
            return full.Substring(_prefix.Length).Replace(Path.DirectorySeparatorChar, '/');
        }

        /// <summary>The full path of a relative, '/'-separated path (not proven: see <see cref="Prove"/>).</summary>
        public string Full(string relative) => _prefix + relative.Replace('/', Path.DirectorySeparatorChar);
    }
}
