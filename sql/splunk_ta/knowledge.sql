/*
  splunk_ta.knowledge_documents: the RAG knowledge base (vectors in Pinecone).
  Soft delete is the is_active flag (seed 004): deactivation returns the
  vector_ids so the caller deletes them from Pinecone. At most one ACTIVE
  document per content_hash (uq_knowledge_documents__content_hash_active):
  adding a duplicate raises Conflict; find_active_knowledge_document_by_content_hash
  checks first. Changes write their core.audit_log event
  (entity_type 'splunk_ta.knowledge_document') in the same statement.
*/

-- name: create_knowledge_document(title, description, document_type, source_url, storage_key, content_hash, pinecone_index, pinecone_namespace, vector_ids, chunk_count, embedding_model, indexed_at, uploaded_by, metadata)<!
-- record_class: KnowledgeDocumentRow
-- Add an active knowledge document with its `upload` audit event.
-- Conflict (uq_knowledge_documents__content_hash_active) when an active
-- document has the same content_hash.
WITH created AS (
    INSERT INTO splunk_ta.knowledge_documents (
        title, description, document_type, source_url, storage_key, content_hash,
        pinecone_index, pinecone_namespace, vector_ids, chunk_count, embedding_model,
        indexed_at, uploaded_by, metadata
    )
    VALUES (
        :title, :description, :document_type, :source_url, :storage_key,
        :content_hash, :pinecone_index, :pinecone_namespace,
        COALESCE(:vector_ids::text[], '{}'),
        COALESCE(:chunk_count::int, 0), :embedding_model, :indexed_at, :uploaded_by,
        COALESCE(:metadata::jsonb, '{}'::jsonb)
    )
    RETURNING
        id, title, description, document_type, source_url, storage_key, content_hash,
        pinecone_index, pinecone_namespace, vector_ids, chunk_count, embedding_model,
        indexed_at, uploaded_by, is_active, metadata, created_at, updated_at
),
audit AS (
    INSERT INTO core.audit_log (
        application, organization_id, actor_type, actor_user_id, action, entity_type,
        entity_id, details, correlation_id, session_id, ip_address, user_agent
    )
    SELECT 'splunk_ta', NULLIF(current_setting('app.org_id', true), '')::uuid, 'user',
           c.uploaded_by, 'upload', 'splunk_ta.knowledge_document', c.id::text,
           jsonb_build_object('title', c.title, 'chunk_count', c.chunk_count),
           NULLIF(current_setting('app.correlation_id', true), ''),
           NULLIF(current_setting('app.session_id', true), ''),
           NULLIF(current_setting('app.client_ip', true), '')::inet,
           NULLIF(current_setting('app.user_agent', true), '')
    FROM created AS c
)
SELECT
    id, title, description, document_type, source_url, storage_key, content_hash,
    pinecone_index, pinecone_namespace, vector_ids, chunk_count, embedding_model, indexed_at,
    uploaded_by, is_active, metadata, created_at, updated_at
FROM created;

-- name: get_knowledge_document_by_id(id)^
-- record_class: KnowledgeDocumentRow
-- Get a knowledge document by id (active or not).
SELECT
    id, title, description, document_type, source_url, storage_key, content_hash,
    pinecone_index, pinecone_namespace, vector_ids, chunk_count, embedding_model, indexed_at,
    uploaded_by, is_active, metadata, created_at, updated_at
FROM splunk_ta.knowledge_documents
WHERE id = :id::uuid;

-- name: list_active_knowledge_documents(document_type, after_created_at, after_id, limit)
-- record_class: KnowledgeDocumentRow
-- List active knowledge documents, newest first, optionally of one type (keyset paginated).
-- ix_knowledge_documents__active_type.
-- stream: yes
SELECT
    id, title, description, document_type, source_url, storage_key, content_hash,
    pinecone_index, pinecone_namespace, vector_ids, chunk_count, embedding_model, indexed_at,
    uploaded_by, is_active, metadata, created_at, updated_at
FROM splunk_ta.knowledge_documents
WHERE is_active
  AND (:document_type::text IS NULL OR document_type = :document_type)
  AND (:after_created_at::timestamptz IS NULL
       OR (created_at, id) < (:after_created_at, :after_id::uuid))
ORDER BY created_at DESC, id DESC
LIMIT :limit::int;

-- name: find_active_knowledge_document_by_content_hash(content_hash)^
-- record_class: KnowledgeDocumentRow
-- The active document with this content hash (duplicate detection), or None.
SELECT
    id, title, description, document_type, source_url, storage_key, content_hash,
    pinecone_index, pinecone_namespace, vector_ids, chunk_count, embedding_model, indexed_at,
    uploaded_by, is_active, metadata, created_at, updated_at
FROM splunk_ta.knowledge_documents
WHERE content_hash = :content_hash::text
  AND is_active;

-- name: deactivate_knowledge_document(id, deactivated_by)<!
-- record_class: DeactivatedKnowledgeDocumentRow
-- Deactivate an active knowledge document (is_active = false) with its `delete` audit event; returns its id and the vector_ids to delete from Pinecone.
-- NotFound when there is no such active document (deactivating twice).
WITH gone AS (
    UPDATE splunk_ta.knowledge_documents
    SET is_active = false
    WHERE id = :id::uuid
      AND is_active
    RETURNING id, vector_ids, pinecone_index, pinecone_namespace
),
audit AS (
    INSERT INTO core.audit_log (
        application, organization_id, actor_type, actor_user_id, action, entity_type,
        entity_id, details, correlation_id, session_id, ip_address, user_agent
    )
    SELECT 'splunk_ta', NULLIF(current_setting('app.org_id', true), '')::uuid, 'user',
           :deactivated_by::uuid, 'delete', 'splunk_ta.knowledge_document', g.id::text,
           jsonb_build_object('vector_count', cardinality(g.vector_ids)),
           NULLIF(current_setting('app.correlation_id', true), ''),
           NULLIF(current_setting('app.session_id', true), ''),
           NULLIF(current_setting('app.client_ip', true), '')::inet,
           NULLIF(current_setting('app.user_agent', true), '')
    FROM gone AS g
)
SELECT id, vector_ids, pinecone_index, pinecone_namespace
FROM gone;
