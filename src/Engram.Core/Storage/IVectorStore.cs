using System.Collections.Generic;

namespace Engram.Core.Storage
{
    /// <summary>
    /// An optional capability of an <see cref="IEngramStorage"/>: it keeps the embedding vectors of semantic search.
    /// Vectors are derived data, outside provenance (recomputed when missing): they are never part of a write session,
    /// an export or a history. Names are validated by the engine before they reach the storage.
    /// </summary>
    public interface IVectorStore
    {
        /// <summary>The stored vectors of a namespace, sorted by key (ordinal); empty when there are none, or when what is
        /// stored cannot be read by this build.</summary>
        IReadOnlyList<StoredVector> ReadVectors(string ns);

        /// <summary>Stores vectors for keys of a namespace, atomically, under the store's write lock: each replaces the one
        /// stored for its key, the others are kept; vectors of memories that no longer exist are not kept.</summary>
        void WriteVectors(string ns, IReadOnlyList<StoredVector> vectors);
    }
}
