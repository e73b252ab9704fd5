using System.Collections.Generic;
using Engram.Core.Provenance;

namespace Engram.Core.Storage
{
    /// <summary>
    /// Optional capability of an <see cref="IEngramStorage"/>: the bytes a history takes where it is stored, for the
    /// figures of <c>Optimize-EngramProvenance</c> (<see cref="Engine.EngramEngine.Optimize"/>). Each storage counts
    /// what it keeps: the file storage the size of the <c>.prov</c> file, the SQL storage the entry documents of the
    /// rows. A storage without it is measured by the entry documents of the history.
    /// </summary>
    public interface IHistorySize
    {
        /// <summary>The bytes the stored history of <paramref name="ns"/>/<paramref name="key"/> takes now, read through
        /// <paramref name="view"/> (a view or a write session of this storage).</summary>
        long StoredBytes(IStorageView view, string ns, string key);

        /// <summary>The bytes a history of exactly these entries (oldest first) would take once stored.</summary>
        long BytesOf(IReadOnlyList<ProvenanceEntry> entries);
    }
}
