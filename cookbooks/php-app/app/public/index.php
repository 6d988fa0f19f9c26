<?php
// The example application: prints the greeting row the database role seeded.
// Its settings come from the PHP-FPM pool's environment (templates/fpm-pool.conf).
$password = trim(file_get_contents(getenv('DB_PASSWORD_FILE')));
$db = new mysqli(getenv('DB_HOST'), getenv('DB_USER'), $password, getenv('DB_NAME'), (int) getenv('DB_PORT'));
$row = $db->query('SELECT message FROM greetings WHERE id = 1')->fetch_row();
file_put_contents(getenv('APP_STORAGE') . '/last-visit', date(DATE_ATOM) . "\n");
header('Content-Type: text/plain');
echo $row[0], "\n";
echo 'version ', trim(file_get_contents(__DIR__ . '/../VERSION')), "\n";
