-- Managed by cm (roles/mariadb.yaml): the application user, run again whenever this file changes.
CREATE USER IF NOT EXISTS '{{ db_user }}'@'{{ client_host }}';
ALTER USER '{{ db_user }}'@'{{ client_host }}'
  IDENTIFIED BY '{{ db_password | replace("\\", "\\\\") | replace("'", "\\'") }}';
GRANT SELECT ON `{{ database }}`.* TO '{{ db_user }}'@'{{ client_host }}';
