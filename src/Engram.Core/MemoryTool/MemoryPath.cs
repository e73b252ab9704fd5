using System;

namespace Engram.Core.MemoryTool
{
    public enum MemoryPathKind { Root, Namespace, Memory }

    /// <summary>
    /// A memory-tool path mapped onto the store: <c>/memories</c> (every namespace), <c>/memories/&lt;namespace&gt;</c>,
    /// <c>/memories/&lt;namespace&gt;/&lt;key&gt;</c> (the key is the rest of the path, slashes included). Anything else —
    /// outside <c>/memories</c>, empty segments, <c>.</c>/<c>..</c> (also percent-encoded), backslashes — is refused
    /// with <c>InvalidMemoryPath</c>; namespace and key rules are the store's.
    /// </summary>
    public sealed class MemoryPath
    {
        public const string RootPath = "/memories";

        private MemoryPath(MemoryPathKind kind, string? ns, string? key)
        {
            Kind = kind;
            Namespace = ns;
            Key = key;
        }

        public MemoryPathKind Kind { get; }
        public string? Namespace { get; }
        public string? Key { get; }

        /// <summary>The canonical path (namespace lower-cased, no trailing slash).</summary>
        public override string ToString() => Kind == MemoryPathKind.Root ? RootPath
            : Kind == MemoryPathKind.Namespace ? RootPath + "/" + Namespace : RootPath + "/" + Namespace + "/" + Key;

        public static string For(string ns, string key) => RootPath + "/" + ns + "/" + key;

        public static MemoryPath Parse(string? path, string field = "path")
        {
            if (string.IsNullOrEmpty(path)) throw Invalid(path, $"'{field}' is required: a path under {RootPath}, such as {RootPath}/longterm/notes.md.");
            var p = path!;
            if (p == RootPath || p == RootPath + "/") return new MemoryPath(MemoryPathKind.Root, null, null);
            if (!p.StartsWith(RootPath + "/", StringComparison.Ordinal))
                throw Invalid(p, $"The path '{p}' is outside {RootPath}: memory paths are {RootPath}/<namespace>/<key>.");
            var rest = p.Substring(RootPath.Length + 1);
            if (rest.EndsWith("/", StringComparison.Ordinal)) rest = rest.Substring(0, rest.Length - 1);
            var segments = rest.Split('/');
            foreach (var s in segments)
            {
                var decoded = s.Replace("%2e", ".").Replace("%2E", ".");
                if (s.Length == 0 || decoded == "." || decoded == ".." || s.IndexOf('\\') >= 0
                    || s.IndexOf("%2f", StringComparison.OrdinalIgnoreCase) >= 0 || s.IndexOf("%5c", StringComparison.OrdinalIgnoreCase) >= 0)
                    throw Invalid(p, $"The path '{p}' is refused: empty, '.' or '..' segments and backslashes (also percent-encoded) are not allowed.");
                foreach (var c in s)
                    if (char.IsControl(c)) throw Invalid(p, $"The path '{p}' contains a control character.");
            }
            var ns = Names.NormalizeNamespace(segments[0]);
            if (segments.Length == 1) return new MemoryPath(MemoryPathKind.Namespace, ns, null);
            var key = string.Join("/", segments, 1, segments.Length - 1);
            Names.ValidateKey(key);
            return new MemoryPath(MemoryPathKind.Memory, ns, key);
        }

        internal static EngramException Invalid(string? path, string message) =>
            new EngramException(EngramErrorIds.InvalidMemoryPath, EngramErrorKind.InvalidArgument, message, path);
    }
}
