/*
  airlock.v_users: the seed 002 users row (roles text[]) rebuilt from core.
  Users and role grants are managed with registry_sql.core (create_user,
  grant_role); this view only reads.
*/

-- name: get_airlock_user(id)^
-- record_class: AirlockUserRow
-- A live user with the airlock roles granted globally (seed 002's users row).
SELECT id AS "id!", username AS "username!", email AS "email!", roles AS "roles!",
       created_at AS "created_at!", updated_at AS "updated_at!"
  FROM airlock.v_users
 WHERE id = :id::uuid;

-- name: list_airlock_users_with_role(role)
-- record_class: AirlockUserRow
-- Live users holding an airlock role (submitter, reviewer, approver, admin), by username.
SELECT id AS "id!", username AS "username!", email AS "email!", roles AS "roles!",
       created_at AS "created_at!", updated_at AS "updated_at!"
  FROM airlock.v_users
 WHERE :role::text = ANY (roles)
 ORDER BY username;
