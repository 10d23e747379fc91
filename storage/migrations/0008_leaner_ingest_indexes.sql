-- Fewer index entries per ingested message (each costs a B-tree insert in
-- the writer): contacts without an email or phone stay out of those
-- indexes (queries by value say "<> ''"), and a contact's tickets are found
-- by (contact, channel) alone, so moving a ticket's last message no longer
-- rewrites this index too (a contact has a handful of tickets to sort).
DROP INDEX contacts_email;
CREATE INDEX contacts_email ON contacts(email) WHERE email <> '';
DROP INDEX contacts_phone;
CREATE INDEX contacts_phone ON contacts(phone) WHERE phone <> '';
DROP INDEX tickets_contact;
CREATE INDEX tickets_contact ON tickets(contact_id, channel);
