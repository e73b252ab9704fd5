using System.Globalization;

namespace Engram.Core
{
    /// <summary>
    /// The one rule of a conditional write (<see cref="SetRequest.ExpectedVersion"/>), shared by every backend: the
    /// memory's current version on the line written must equal the expected one, and 0 means the memory must not exist.
    /// Every backend calls <see cref="Check"/> under its write lock, after reading the current record and before writing,
    /// so two writers that read the same version cannot both succeed.
    /// </summary>
    public static class ConditionalWrite
    {
        /// <summary>Refuses an expected version that cannot be one (called before anything is touched).</summary>
        public static void Validate(SetRequest request)
        {
            if (request.ExpectedVersion is int v && v < 0)
                throw new EngramException(EngramErrorIds.VersionConflict, EngramErrorKind.InvalidArgument,
                    $"An expected version is 0 (the memory must not exist yet) or a version number, not {v}.", v);
        }

        /// <summary>Throws <c>VersionConflict</c> when <paramref name="current"/> (null: no live memory) is not at the expected version.</summary>
        public static void Check(SetRequest request, MemoryRecord? current, string ns, string key, string branch)
        {
            if (!(request.ExpectedVersion is int expected)) return;
            var actual = current == null || current.Deleted ? 0 : current.Version;
            if (actual == expected) return;
            throw Conflict(ns, key, branch, expected, actual);
        }

        /// <summary>The error of a conditional write that found another version.</summary>
        public static EngramException Conflict(string ns, string key, string branch, int expected, int actual)
        {
            var onBranch = branch == Names.DefaultBranch ? "" : " on branch '" + branch + "'";
            var found = actual == 0 ? "does not exist" : "is at version " + actual.ToString(CultureInfo.InvariantCulture);
            var wanted = expected == 0 ? "expected it not to exist yet" : "expected version " + expected.ToString(CultureInfo.InvariantCulture);
            return new EngramException(EngramErrorIds.VersionConflict, EngramErrorKind.InvalidOperation,
                $"The memory '{key}' in '{ns}'{onBranch} {found}; the write {wanted}. Nothing was written: read it again and retry.",
                ns + "/" + key + (branch == Names.DefaultBranch ? "" : "@" + branch));
        }
    }
}
