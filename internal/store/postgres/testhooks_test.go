package postgres

import (
	"context"
	"fmt"
)

// checkSealedColumn allows only the columns the conformance suite may read or overwrite raw.
func checkSealedColumn(table, column string) error {
	switch table + "." + column {
	case "messages.content_enc", "sessions.user_agent_enc", "sessions.page_url_enc", "accounts.totp_secret_enc":
		return nil
	}
	return fmt.Errorf("no sealed column %s.%s", table, column)
}

// SetSchemaVersionForTest records version as applied, to fake a database from a newer binary.
func (s *Store) SetSchemaVersionForTest(ctx context.Context, version int) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, version)
	return err
}

// RawSealedForTest returns the stored bytes of a sealed column.
func (s *Store) RawSealedForTest(ctx context.Context, table, column, id string) ([]byte, error) {
	if err := checkSealedColumn(table, column); err != nil {
		return nil, err
	}
	var b []byte
	err := s.pool.QueryRow(ctx, `SELECT `+column+` FROM `+table+` WHERE id = $1`, id).Scan(&b)
	return b, err
}

// SetRawSealedForTest overwrites the stored bytes of a sealed column.
func (s *Store) SetRawSealedForTest(ctx context.Context, table, column, id string, sealed []byte) error {
	if err := checkSealedColumn(table, column); err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, `UPDATE `+table+` SET `+column+` = $1 WHERE id = $2`, sealed, id)
	if err == nil && tag.RowsAffected() != 1 {
		err = fmt.Errorf("no row %s in %s", id, table)
	}
	return err
}

// ExecForTest runs one statement, to check what the schema itself refuses.
func (s *Store) ExecForTest(ctx context.Context, query string) error {
	_, err := s.pool.Exec(ctx, query)
	return err
}
