using System.Collections.Generic;

namespace Engram.Core.Storage
{
    /// <summary>
    /// Optional capability of a storage, for the verifier (<see cref="Engine.EngramEngine.Verify"/>): what it needs to
    /// know of how the storage keeps its records that the reading primitives do not tell, so that one damaged record is
    /// one finding rather than the end of the check. A storage without it is verified over its primitives alone.
    /// </summary>
    public interface IStorageLayoutCheck
    {
        /// <summary>
        /// Every branch record as stored, by namespace then name (sorted), whether or not it parses: the verifier reads
        /// each one on its own (<see cref="IStorageView.ReadBranch"/>), where <see cref="IStorageView.ReadBranches"/>
        /// would stop at the first damaged one.
        /// </summary>
        IReadOnlyList<KeyValuePair<string, string>> StoredBranches(IStorageView view);
    }
}
