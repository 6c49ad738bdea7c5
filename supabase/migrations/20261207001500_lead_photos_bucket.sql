-- The private Storage bucket the forms upload customers' photos to (media.bucket's default),
-- so a first `supabase db push` leaves nothing to click. Private: staff see photos through
-- signed URLs the functions make, never a public link. Up to 10 MB each, images only (HEIC as
-- phones take them). Guarded: a database without Supabase Storage (the local stack, whose
-- Storage is a fake over HTTP) has no storage.buckets, and the migration leaves it alone.
do $$
begin
  if to_regclass('storage.buckets') is null then
    raise notice 'no storage.buckets here: the lead-photos bucket is not created';
    return;
  end if;
  insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
  values ('lead-photos', 'lead-photos', false, 10 * 1024 * 1024,
    array['image/jpeg', 'image/png', 'image/webp', 'image/heic', 'image/heif', 'image/gif'])
  on conflict (id) do nothing;
end
$$;
